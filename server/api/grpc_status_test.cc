#include "server/api/grpc_status.h"

#include "absl/strings/str_cat.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/hubspot/upstream_error_status.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;

TEST(ToGrpcStatusTest, OkStaysOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(ToGrpcStatusTest, PlainStatusKeepsCodeAndMessageWithoutDetails) {
  const grpc::Status status = ToGrpcStatus(absl::InvalidArgumentError("inputs: required"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "inputs: required");
  EXPECT_TRUE(status.error_details().empty());
}

TEST(ToGrpcStatusTest, UpstreamErrorTravelsAsARichDetail) {
  v1::UpstreamError upstream;
  upstream.set_http_status(403);
  upstream.set_category("MISSING_SCOPES");
  upstream.set_correlation_id("corr");
  const grpc::Status status = ToGrpcStatus(RejectedRequestStatus(upstream));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(status.error_details()));
  EXPECT_EQ(rich.code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(rich.message(), status.error_message());
  ASSERT_EQ(rich.details_size(), 1);
  v1::UpstreamError unpacked;
  ASSERT_TRUE(rich.details(0).UnpackTo(&unpacked));
  EXPECT_EQ(unpacked.category(), "MISSING_SCOPES");
  EXPECT_EQ(unpacked.correlation_id(), "corr");
}

TEST(ToGrpcStatusTest, HugeUpstreamErrorsStayReadableByDefaultClients) {
  v1::UpstreamError upstream;
  upstream.set_http_status(400);
  upstream.set_message(std::string(1 << 20, 'm') + "\xc3\xa9");
  for (int i = 0; i < 100; ++i) {
    auto* detail = upstream.add_errors();
    detail->set_message(std::string(140, 'e'));
    detail->set_code("INVALID_ID");
  }
  const grpc::Status status = ToGrpcStatus(RejectedRequestStatus(upstream));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // gRPC's default metadata limit is 8 KiB, for the message and details together.
  EXPECT_LE(status.error_message().size() + status.error_details().size(), 6000u);
  EXPECT_NE(status.error_message().find("bytes left out"), std::string::npos);
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(status.error_details()));
  v1::UpstreamError carried;
  ASSERT_TRUE(rich.details(0).UnpackTo(&carried));
  EXPECT_GT(carried.errors_size(), 0);
  EXPECT_LT(carried.errors_size(), 100);
  EXPECT_NE(carried.message().find(
                absl::StrCat(100 - carried.errors_size(), " of HubSpot's 100 errors left out")),
            std::string::npos);
}

TEST(ToGrpcStatusTest, LongMessagesKeepTheirEndAndWholeCharacters) {
  const std::string filler(2000, 'a');
  const grpc::Status status = ToGrpcStatus(
      absl::InternalError(filler.substr(0, 927) + "\xc3\xa9" + filler + " [request_id gw-1234]"));
  const std::string& message = status.error_message();
  EXPECT_LT(message.size(), 1100u);
  EXPECT_EQ(message.substr(0, 928), filler.substr(0, 927) + " ");  // Not half of the é.
  EXPECT_NE(message.find("bytes left out"), std::string::npos);
  EXPECT_EQ(message.substr(message.size() - 20), "[request_id gw-1234]");
}

}  // namespace
}  // namespace hubspot_gateway
