#include "server/api/grpc_log_route.h"

#include <grpc/grpc.h>
#include <grpc/support/log.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/recording_log_sink.h"

namespace hubspot_gateway {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

// gRPC prints nothing before grpc_init (the gateway's server starts it).
class GrpcLogRouteTest : public ::testing::Test {
 protected:
  GrpcLogRouteTest() { grpc_init(); }
  ~GrpcLogRouteTest() override { grpc_shutdown(); }
};

TEST_F(GrpcLogRouteTest, GrpcErrorsBecomeTheLogsJsonLinesAtOnce) {
  RecordingLogSink sink;
  const Logger logger(LogFormat::kJson, 10, absl::Now, sink.Fn());
  {
    const GrpcLogRoute route(logger);
    gpr_log(GPR_ERROR, "listener failed: %d", 7);
    // Written before gpr_log returned: no wait for the logger's thread.
    ASSERT_THAT(sink.lines(), SizeIs(1));
  }
  const auto line = nlohmann::json::parse(sink.lines()[0]);
  EXPECT_EQ(line["level"], "ERROR");
  EXPECT_EQ(line["event"], "grpc");
  EXPECT_EQ(line["message"], "listener failed: 7");
  EXPECT_THAT(line["file"].get<std::string>(), HasSubstr("grpc_log_route_test.cc"));
  EXPECT_GT(line["line"].get<int>(), 0);
  EXPECT_TRUE(line.contains("ts"));
}

TEST_F(GrpcLogRouteTest, GrpcsInfoLinesAreInfoWhenItsVerbosityLetsThemThrough) {
  RecordingLogSink sink;
  const Logger logger(LogFormat::kText, 10, absl::Now, sink.Fn());
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_INFO);
  {
    const GrpcLogRoute route(logger);
    gpr_log(GPR_INFO, "channel created");
  }
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
  ASSERT_THAT(sink.lines(), SizeIs(1));
  EXPECT_THAT(sink.lines()[0], HasSubstr(" INFO grpc file="));
  EXPECT_THAT(sink.lines()[0], HasSubstr("message=\"channel created\""));
}

TEST_F(GrpcLogRouteTest, DestroyingTheRouteGivesGrpcItsOwnOutputBack) {
  RecordingLogSink sink;
  const Logger logger(LogFormat::kJson, 10, absl::Now, sink.Fn());
  { const GrpcLogRoute route(logger); }
  ::testing::internal::CaptureStderr();
  gpr_log(GPR_ERROR, "after the route");
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), HasSubstr("after the route"));
  EXPECT_THAT(sink.lines(), Not(Contains(HasSubstr("after the route"))));
}

}  // namespace
}  // namespace hubspot_gateway
