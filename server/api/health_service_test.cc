#include "server/api/health_service.h"

#include <grpcpp/grpcpp.h>

#include <memory>

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

constexpr char kService[] = "hubspot.crm.associations.v1.AssociationsArchive";

// The service on a real gRPC server over loopback.
class HealthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&health_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    stub_ = Health::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    health_.Shutdown();
    server_->Shutdown();
  }

  grpc::Status Check(const std::string& service, HealthCheckResponse::ServingStatus* status) {
    grpc::ClientContext context;
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    grpc::Status result = stub_->Check(&context, request, &response);
    *status = response.status();
    return result;
  }

  HealthService health_{{kService}};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(HealthServiceTest, TheServerAndItsServiceFollowSetServingOthersAreNotFound) {
  HealthCheckResponse::ServingStatus status;
  ASSERT_TRUE(Check("", &status).ok());
  EXPECT_EQ(status, HealthCheckResponse::NOT_SERVING);
  health_.SetServing(true);
  ASSERT_TRUE(Check("", &status).ok());
  EXPECT_EQ(status, HealthCheckResponse::SERVING);
  ASSERT_TRUE(Check(kService, &status).ok());
  EXPECT_EQ(status, HealthCheckResponse::SERVING);
  EXPECT_EQ(Check("no.such.Service", &status).error_code(), grpc::StatusCode::NOT_FOUND);
  health_.SetServing(false);
  ASSERT_TRUE(Check(kService, &status).ok());
  EXPECT_EQ(status, HealthCheckResponse::NOT_SERVING);
}

TEST_F(HealthServiceTest, WatchersHearEachChangeAndShutdownEndsThemAtOnce) {
  health_.SetServing(true);
  grpc::ClientContext context;
  HealthCheckRequest request;
  request.set_service(kService);
  auto watch = stub_->Watch(&context, request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);
  health_.SetServing(false);
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);
  health_.Shutdown();
  EXPECT_FALSE(watch->Read(&update));
  const grpc::Status ended = watch->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ended.error_message(), "the gateway is shutting down");
  // Check still answers while the server drains.
  HealthCheckResponse::ServingStatus status;
  ASSERT_TRUE(Check("", &status).ok());
  EXPECT_EQ(status, HealthCheckResponse::NOT_SERVING);
}

TEST_F(HealthServiceTest, AWatchAfterShutdownIsRefused) {
  health_.Shutdown();
  grpc::ClientContext context;
  auto watch = stub_->Watch(&context, HealthCheckRequest());
  HealthCheckResponse update;
  EXPECT_FALSE(watch->Read(&update));
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(HealthServiceTest, AnUnknownNameIsWatchedAsServiceUnknownAndStaysSo) {
  grpc::ClientContext context;
  HealthCheckRequest request;
  request.set_service("no.such.Service");
  auto watch = stub_->Watch(&context, request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVICE_UNKNOWN);
  health_.SetServing(true);
  health_.Shutdown();
  // No other status came before the end.
  EXPECT_FALSE(watch->Read(&update));
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(HealthServiceTest, ACancelledWatcherLeavesAndLaterChangesAreSafe) {
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext context;
    auto watch = stub_->Watch(&context, HealthCheckRequest());
    HealthCheckResponse update;
    ASSERT_TRUE(watch->Read(&update));
    context.TryCancel();
    // Changes race with the cancellation on the server's side.
    health_.SetServing(i % 2 == 0);
    while (watch->Read(&update)) {
    }
    EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
}

}  // namespace
}  // namespace hubspot_gateway
