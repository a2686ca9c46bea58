#include "server/api/grpc_status.h"

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

}  // namespace
}  // namespace hubspot_gateway
