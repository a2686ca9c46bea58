// End-to-end: the real gateway and the real HubSpot simulator as processes on
// loopback, called over real gRPC.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <regex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/archive_calls.h"
#include "tests/testing/health_probe.h"
#include "tests/testing/polling.h"
#include "tests/testing/stack.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::hubspot_gateway::testing::Archive;
using ::hubspot_gateway::testing::ArchiveOutcome;
using ::hubspot_gateway::testing::kSimulatorToken;
using ::hubspot_gateway::testing::Probe;
using ::hubspot_gateway::testing::ProbeHealth;
using ::hubspot_gateway::testing::ScrapeMetrics;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::StartStack;
using ::hubspot_gateway::testing::Stat;
using ::hubspot_gateway::testing::WaitUntil;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

v1::ArchiveAssociationsRequest Request(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& inputs) {
  v1::ArchiveAssociationsRequest request;
  request.set_from_object_type("contacts");
  request.set_to_object_type("companies");
  for (const auto& [from, tos] : inputs) {
    auto* input = request.add_inputs();
    input->mutable_from_object()->set_id(from);
    for (const auto& to : tos) input->add_to_objects()->set_id(to);
  }
  return request;
}

void ExpectTokenNeverPrinted(Stack& stack) {
  EXPECT_THAT(stack.AllOutput(), Not(HasSubstr(kSimulatorToken)));
  EXPECT_THAT(stack.AllOutput(), Not(HasSubstr("SECRET-TOKEN")));
}

TEST(GatewayIntegrationTest, ArchivesAndTheSimulatorReallyLosesTheAssociations) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack
                  ->Seed("contacts", "companies",
                         {{"101", "201"}, {"101", "202"}, {"102", "203"}, {"103", "204"}})
                  .ok());
  const ArchiveOutcome call = Archive(*stack, Request({{"101", {"201", "202"}}, {"102", {"203"}}}));
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(call.result.status(), v1::BatchResult::COMPLETE);
  EXPECT_EQ(call.result.num_errors(), 0);
  EXPECT_GT(call.result.completed_at().seconds(), 0);
  EXPECT_THAT(*stack->Associations("contacts", "companies"), ElementsAre("103>204"));
  // Idempotent: archiving the same again is still a success.
  EXPECT_TRUE(Archive(*stack, Request({{"101", {"201"}}})).status.ok());
  ExpectTokenNeverPrinted(*stack);
}

// Each version answers as its spec says today (2026-03: 200 BatchResponse,
// 2026-09: 200 BatchResponseVoid, v4: 204); each is COMPLETE, and a
// BatchResponse's results are mirrored.
TEST(GatewayIntegrationTest, EachVersionsAnswerIsMirrored) {
  for (const char* version : {"2026-03", "2026-09", "v4"}) {
    StackOptions options;
    options.gateway_flags = {absl::StrCat("--hubspot_api_version=", version)};
    auto stack = StartStack(options);
    ASSERT_NE(stack, nullptr);
    ASSERT_TRUE(stack->Seed("contacts", "companies", {{"1", "2"}}).ok());
    const ArchiveOutcome call = Archive(*stack, Request({{"1", {"2"}}}));
    ASSERT_TRUE(call.status.ok()) << version << ": " << call.status.error_message();
    EXPECT_EQ(call.result.status(), v1::BatchResult::COMPLETE) << version;
    EXPECT_TRUE(call.result.has_started_at()) << version;
    EXPECT_TRUE(call.result.has_completed_at()) << version;
    EXPECT_EQ(call.result.results_size(), std::string(version) == "2026-03" ? 1 : 0) << version;
    EXPECT_THAT(*stack->Associations("contacts", "companies"), IsEmpty()) << version;
  }
}

// HubSpot's spec has flipped between 204 and 200 for the same version: the
// simulator forced to each answer still gives a COMPLETE call.
TEST(GatewayIntegrationTest, EverySuccessShapeIsCompleteWhateverTheVersion) {
  for (const char* mode : {"204", "batch_response", "batch_response_void"}) {
    StackOptions options;
    options.simulator_flags = {absl::StrCat("--success_mode=", mode)};
    auto stack = StartStack(options);
    ASSERT_NE(stack, nullptr);
    const ArchiveOutcome call = Archive(*stack, Request({{"1", {"2"}}}));
    ASSERT_TRUE(call.status.ok()) << mode << ": " << call.status.error_message();
    EXPECT_EQ(call.result.status(), v1::BatchResult::COMPLETE) << mode;
    EXPECT_TRUE(call.result.has_completed_at()) << mode;
  }
}

// A 2xx whose body is not a BatchResponse fails INTERNAL quoting how it
// began (never a guessed COMPLETE), and the sample client says what that
// means and exits 21.
TEST(GatewayIntegrationTest, MalformedSuccessIsInternalAndTheSampleClientExplainsIt) {
  StackOptions options;
  options.gateway_flags = {"--max_attempts=1"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"malformed_next", 2}}).ok());
  const ArchiveOutcome call = Archive(*stack, Request({{"1", {"2"}}}));
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(call.status.error_message(), HasSubstr("the answer (HTTP 200) began: {\"status\""));
  ASSERT_TRUE(call.upstream().has_value());
  EXPECT_EQ(call.upstream()->raw_body(), "{\"status\":\"COMPL");

  auto client = testing::Subprocess::Start(
      {"client/sample_client", absl::StrCat("--target=127.0.0.1:", stack->gateway_port()),
       "--pair=1:2"},
      {}, testing::TempPath("malformed-client-output"));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(client->WaitForExit(absl::Seconds(60)).value_or(-1), 21) << client->Output();
  EXPECT_THAT(client->Output(), HasSubstr("with a body that is not a BatchResponse"));
  EXPECT_THAT(client->Output(), HasSubstr("send the call again"));
}

TEST(GatewayIntegrationTest, LegacyV4PathWorksToo) {
  StackOptions options;
  options.gateway_flags = {"--hubspot_api_version=v4"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->Seed("contacts", "companies", {{"7", "8"}}).ok());
  EXPECT_TRUE(Archive(*stack, Request({{"7", {"8"}}})).status.ok());
  EXPECT_THAT(*stack->Associations("contacts", "companies"), IsEmpty());
}

TEST(GatewayIntegrationTest, BadInputsNeverReachTheSimulator) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  auto bad_type = Request({{"1", {"2"}}});
  bad_type.set_to_object_type("companies/../deals");
  for (const auto& request :
       {Request({}), Request({{"1x", {"2"}}}), Request({{"1", {}}}), bad_type}) {
    const ArchiveOutcome call = Archive(*stack, request);
    EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_THAT(Archive(*stack, Request({{"1x", {"2"}}})).status.error_message(),
              HasSubstr("inputs[0].from_object.id"));
  EXPECT_EQ(Stat(*stack, "requests"), 0);
}

TEST(GatewayIntegrationTest, UnknownTokenIsUnauthenticatedWithHubSpotsError) {
  StackOptions options;
  options.gateway_token = "pat-unknown-token";
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const ArchiveOutcome call = Archive(*stack, Request({{"1", {"2"}}}));
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(call.upstream().has_value());
  EXPECT_EQ(call.upstream()->http_status(), 401);
  EXPECT_FALSE(call.upstream()->correlation_id().empty());
  EXPECT_THAT(call.status.error_message(), HasSubstr(call.upstream()->correlation_id()));
  EXPECT_THAT(stack->AllOutput(), Not(HasSubstr("pat-unknown-token")));
}

TEST(GatewayIntegrationTest, MissingScopesIsPermissionDeniedWithTheScopes) {
  StackOptions options;
  options.simulator_flags = {"--tokens_without_scopes=pat-no-scopes"};
  options.gateway_token = "pat-no-scopes";
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const ArchiveOutcome call = Archive(*stack, Request({{"1", {"2"}}}));
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(call.upstream().has_value());
  EXPECT_EQ(call.upstream()->category(), "MISSING_SCOPES");
  ASSERT_FALSE(call.upstream()->errors().empty());
  EXPECT_TRUE(call.upstream()->errors(0).context().contains("requiredGranularScopes"));
}

TEST(GatewayIntegrationTest, ValidationErrorFromHubSpotIsInvalidArgument) {
  StackOptions options;
  options.simulator_flags = {"--max_inputs=2"};
  options.gateway_flags = {"--max_inputs_per_request=3"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const ArchiveOutcome call = Archive(*stack, Request({{"1", {"2"}}, {"3", {"4"}}, {"5", {"6"}}}));
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(call.upstream()->category(), "VALIDATION_ERROR");
}

TEST(GatewayIntegrationTest, EachUpstreamFailureClassMapsToItsCode) {
  StackOptions options;
  // A DAILY 429 stops the token's traffic for at most --max_retry_after.
  options.gateway_flags = {"--max_attempts=1", "--max_retry_after=1s"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  struct Case {
    nlohmann::json fault;
    grpc::StatusCode code;
    int http_status;
  };
  for (const Case& c : {
           Case{{{"fail_next", 1}, {"error_status", 503}}, grpc::StatusCode::UNAVAILABLE, 503},
           Case{{{"fail_next", 1}, {"error_status", 404}}, grpc::StatusCode::NOT_FOUND, 404},
           Case{{{"fail_next", 1}, {"error_status", 409}}, grpc::StatusCode::ABORTED, 409},
           Case{{{"html_error_next", 1}}, grpc::StatusCode::UNAVAILABLE, 502},
           Case{{{"malformed_next", 1}}, grpc::StatusCode::INTERNAL, 200},
           Case{{{"drop_next", 1}}, grpc::StatusCode::UNAVAILABLE, 0},
           Case{{{"daily_limit_next", 1}}, grpc::StatusCode::RESOURCE_EXHAUSTED, 429},
       }) {
    ASSERT_TRUE(stack->AdminPost("/_admin/faults", c.fault).ok()) << c.fault.dump();
    const ArchiveOutcome call = Archive(*stack, Request({{"1", {"2"}}}));
    EXPECT_EQ(call.status.error_code(), c.code)
        << c.fault.dump() << " " << call.status.error_message();
    ASSERT_TRUE(call.upstream().has_value()) << c.fault.dump();
    EXPECT_EQ(call.upstream()->http_status(), c.http_status) << c.fault.dump();
    ASSERT_TRUE(stack->AdminPost("/_admin/reset", nlohmann::json::object()).ok());
  }
  // Right after the DAILY 429 the token's calls fail at once, sending nothing;
  // once the pause ends the gateway tries again and serves.
  const int requests_before = stack->AdminGet("/_admin/stats")->at("requests").get<int>();
  const ArchiveOutcome blocked = Archive(*stack, Request({{"1", {"2"}}}));
  EXPECT_EQ(blocked.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(stack->AdminGet("/_admin/stats")->at("requests").get<int>(), requests_before);
  EXPECT_TRUE(WaitUntil(
      [&] {
        return Archive(*stack, Request({{"1", {"2"}}})).status.ok();
      },
      absl::Seconds(20), absl::Milliseconds(200)));
  ExpectTokenNeverPrinted(*stack);
}

TEST(GatewayIntegrationTest, TransientFailuresAreRetriedToSuccess) {
  StackOptions options;
  options.gateway_flags = {"--max_attempts=4", "--initial_backoff=20ms"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->Seed("contacts", "companies", {{"1", "2"}}).ok());
  ASSERT_TRUE(stack
                  ->AdminPost("/_admin/faults",
                              {{"fail_next", 1}, {"drop_next", 1}, {"rate_limit_next", 1}})
                  .ok());
  const ArchiveOutcome call = Archive(*stack, Request({{"1", {"2"}}}));
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(Stat(*stack, "archive_requests"), 4);
  EXPECT_THAT(*stack->Associations("contacts", "companies"), IsEmpty());
}

TEST(GatewayIntegrationTest, DeadlineExceededWhileTheSimulatorHangsThenStillServes) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"hang_next", 1}, {"hang_ms", 30000}}).ok());
  const absl::Time start = absl::Now();
  const ArchiveOutcome call = Archive(*stack, Request({{"1", {"2"}}}), absl::Seconds(1));
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));  // Not the 30 s hang.
  EXPECT_TRUE(Archive(*stack, Request({{"1", {"2"}}})).status.ok());
}

TEST(GatewayIntegrationTest, LargeCallIsChunkedAndAFailingChunkNamesItsInputs) {
  StackOptions options;
  options.gateway_flags = {"--max_attempts=2", "--initial_backoff=10ms"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  std::vector<std::pair<std::string, std::vector<std::string>>> inputs;
  std::vector<std::pair<std::string, std::string>> seed;
  for (int i = 0; i < 250; ++i) {
    inputs.push_back({absl::StrCat(1000 + i), {absl::StrCat(5000 + i)}});
    seed.push_back({absl::StrCat(1000 + i), absl::StrCat(5000 + i)});
  }
  ASSERT_TRUE(stack->Seed("contacts", "companies", seed).ok());
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"fail_from_ids", {"1150"}}}).ok());
  const ArchiveOutcome call = Archive(*stack, Request(inputs));
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  ASSERT_EQ(call.result.errors_size(), 1);
  const auto& failed = call.result.errors(0).context().at("fromIds").values();
  ASSERT_EQ(failed.size(), 100);
  // What the answer says failed is exactly what the simulator still holds.
  const auto remaining = *stack->Associations("contacts", "companies");
  ASSERT_EQ(remaining.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(remaining[i], absl::StrCat(failed[i], ">", 5000 + (std::stoi(failed[i]) - 1000)));
  }
  EXPECT_EQ(Stat(*stack, "max_inputs_seen"), 100);
}

TEST(GatewayIntegrationTest, PacesUnderTheSimulatorsRateLimitWithoutTripping429s) {
  StackOptions options;
  // 5 requests per rolling second; the gateway learns it from the headers.
  options.simulator_flags = {"--rate_limit_per_10s=5", "--rate_limit_interval_ms=1000"};
  options.gateway_flags = {"--max_attempts=1"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(Archive(*stack, Request({{"1", {"2"}}})).status.ok());
  std::vector<std::pair<std::string, std::vector<std::string>>> inputs;
  for (int i = 0; i < 1200; ++i) inputs.push_back({absl::StrCat(10 + i), {"2"}});
  const ArchiveOutcome call = Archive(*stack, Request(inputs));  // 12 chunks of 100.
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(call.result.num_errors(), 0);
  EXPECT_EQ(Stat(*stack, "rate_limited"), 0);
  EXPECT_EQ(Stat(*stack, "archive_requests"), 13);
}

TEST(GatewayIntegrationTest, PassthroughForwardsTheCallersToken) {
  StackOptions options;
  options.gateway_flags = {"--auth_mode=passthrough"};
  options.gateway_token = "";
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  EXPECT_EQ(Archive(*stack, Request({{"1", {"2"}}})).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Stat(*stack, "requests"), 0);
  EXPECT_TRUE(
      Archive(*stack, Request({{"1", {"2"}}}), absl::Seconds(20), kSimulatorToken).status.ok());
  ExpectTokenNeverPrinted(*stack);
}

TEST(GatewayIntegrationTest, VersionNamesTheReleaseTheCommitAndTheKindOfBuild) {
  auto run = testing::Subprocess::Start({"server/gateway", "--version"}, {},
                                        testing::TempPath("gateway-version"));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->WaitForExit(absl::Seconds(20)).value_or(-1), 0);
  const std::string version(absl::StripAsciiWhitespace(testing::ReadFile("VERSION")));
  ASSERT_FALSE(version.empty());
#ifdef NDEBUG
  const std::string kind = "release build \\(optimized, NDEBUG\\)";
#else
  const std::string kind = "development build \\(NDEBUG not defined.*";
#endif
  EXPECT_TRUE(std::regex_match(
      run->Output(), std::regex(absl::StrCat(
                         "hubspot-archive-gateway ", absl::StrReplaceAll(version, {{".", "\\."}}),
                         "\ncommit ([0-9a-f]{40}(-dirty)?|unknown)\n", kind, "\n"))))
      << run->Output();
}

TEST(GatewayIntegrationTest, RefusesToStartWithoutAToken) {
  StackOptions options;
  options.start_gateway = false;
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const absl::Status started = stack->StartGateway({}, "");
  EXPECT_FALSE(started.ok());
  EXPECT_THAT(std::string(started.message()), HasSubstr("no HubSpot token"));
}

// A flag the gateway cannot honour stops it at startup with exit 2 and a line
// naming the flag: never a port other than the one asked for, never an abort.
struct StartupRefusal {
  std::vector<std::string> flags;
  std::string message;
};

void PrintTo(const StartupRefusal& refusal, std::ostream* out) {
  *out << absl::StrJoin(refusal.flags, " ");
}

class StartupRefusalTest : public ::testing::TestWithParam<StartupRefusal> {};

TEST_P(StartupRefusalTest, ExitsTwoNamingTheFlag) {
  StackOptions options;
  options.start_gateway = false;
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const absl::Status started = stack->StartGateway(GetParam().flags, kSimulatorToken);
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(std::string(started.message()), HasSubstr("process exited with 2 before listening"));
  EXPECT_THAT(std::string(started.message()), HasSubstr(GetParam().message));
  ExpectTokenNeverPrinted(*stack);
}

INSTANTIATE_TEST_SUITE_P(
    Flags, StartupRefusalTest,
    ::testing::Values(
        StartupRefusal{{"--listen=127.0.0.1:99999"},
                       "--listen must be host:port with a port from 1 to 65535"},
        StartupRefusal{{"--metrics_listen=127.0.0.1:99999"},
                       "--metrics_listen must be host:port with a port from 1 to 65535"},
        StartupRefusal{{"--hubspot_api_version=2026-13"},
                       "--hubspot_api_version must be YYYY-MM with a month from 01 to 12"},
        StartupRefusal{{"--max_inputs_per_request=101"},
                       "Add --allow_max_inputs_per_request_above_100"}));

TEST(GatewayIntegrationTest, ABusyMetricsPortIsAStartupErrorNotAnAbort) {
  StackOptions options;
  options.start_gateway = false;
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  // Another process's listener holds the port.
  const int taken = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(taken, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(taken, 1), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(taken, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string busy = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
  const absl::Status started =
      stack->StartGateway({absl::StrCat("--metrics_listen=", busy)}, kSimulatorToken);
  close(taken);
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(std::string(started.message()), HasSubstr("process exited with 2 before listening"));
  EXPECT_THAT(std::string(started.message()),
              HasSubstr(absl::StrCat("cannot start: --metrics_listen: cannot listen on ", busy)));
}

// SIGTERM (an orchestrator) and SIGHUP (a closed terminal or session, a
// supervisor's "reload") both drain: nothing in flight is lost.
class DrainSignalTest : public ::testing::TestWithParam<int> {
 protected:
  std::string SignalName() const { return absl::StrCat("SIG", sigabbrev_np(GetParam())); }
};

INSTANTIATE_TEST_SUITE_P(Signals, DrainSignalTest, ::testing::Values(SIGTERM, SIGHUP),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat("SIG", sigabbrev_np(info.param));
                         });

TEST_P(DrainSignalTest, InFlightCallsFinishThenTheGatewayExitsZero) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"latency_ms", 700}}).ok());
  ArchiveOutcome in_flight;
  std::thread caller([&] { in_flight = Archive(*stack, Request({{"1", {"2"}}})); });
  // The simulator counts the request before its 700 ms latency: the call is in flight.
  EXPECT_TRUE(WaitUntil([&] { return Stat(*stack, "requests") >= 1; }, absl::Seconds(20)))
      << "the call never reached the simulator";
  stack->gateway().Signal(GetParam());
  caller.join();
  EXPECT_TRUE(in_flight.status.ok()) << in_flight.status.error_message();
  const auto exit_status = stack->gateway().WaitForExit(absl::Seconds(20));
  ASSERT_TRUE(exit_status.ok());
  EXPECT_EQ(*exit_status, 0);
  EXPECT_THAT(stack->gateway().Output(), HasSubstr(SignalName() + ": health NOT_SERVING"));
  EXPECT_THAT(stack->gateway().Output(), HasSubstr("gateway: stopped"));
  ExpectTokenNeverPrinted(*stack);
}

TEST(GatewayIntegrationTest, JsonLogsCarryTheRequestIdAndHubSpotsCorrelationId) {
  StackOptions options;
  options.gateway_flags = {"--log_format=json", "--max_attempts=1"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"fail_next", 1}}).ok());
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "trace-123");
  v1::BatchResult result;
  const grpc::Status status =
      stack->stub().ArchiveAssociations(&context, Request({{"1", {"2"}}}), &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("[request_id trace-123]"));
  auto echoed = context.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(echoed, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(echoed->second.data(), echoed->second.size()), "trace-123");

  // Without an id the gateway makes one up, and says it.
  const ArchiveOutcome bad = Archive(*stack, Request({{"x", {"2"}}}));
  EXPECT_THAT(bad.status.error_message(), HasSubstr("[request_id gw-"));

  bool found = false;
  for (absl::string_view line :
       absl::StrSplit(stack->gateway().Output(), '\n', absl::SkipEmpty())) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << "not JSON: " << line;
    if (json.value("request_id", "") == "trace-123") {
      found = true;
      EXPECT_EQ(json["code"], "UNAVAILABLE");
      EXPECT_EQ(json["http_status"], 503);
      EXPECT_FALSE(json["correlation_id"].get<std::string>().empty());
    }
  }
  EXPECT_TRUE(found);
}

TEST(GatewayIntegrationTest, IdleConnectionsDoNotBlockMetricsScrapes) {
  StackOptions options;
  options.gateway_flags = {"--metrics_listen=127.0.0.1:0"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_FALSE(ScrapeMetrics(*stack).empty());
  const std::string output = stack->gateway().Output();
  const int port = std::atoi(output.c_str() + output.find("metrics on port ") + 16);
  // Ten connections that send nothing (slowloris), more than the exposer's threads.
  std::vector<int> idle;
  for (int i = 0; i < 10; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    idle.push_back(fd);
  }
  // The scrape (5 s read timeout) still gets its page.
  EXPECT_THAT(ScrapeMetrics(*stack), HasSubstr("gateway_in_flight_calls"));
  for (int fd : idle) close(fd);
}

TEST(GatewayIntegrationTest, PrometheusMetricsCountCallsUpstreamAnswersAndRetries) {
  StackOptions options;
  options.gateway_flags = {"--metrics_listen=127.0.0.1:0", "--initial_backoff=10ms"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"fail_next", 1}}).ok());
  ASSERT_TRUE(Archive(*stack, Request({{"1", {"2"}}, {"3", {"4"}}})).status.ok());
  EXPECT_FALSE(Archive(*stack, Request({{"x", {"2"}}})).status.ok());
  const std::string metrics = ScrapeMetrics(*stack);
  ASSERT_FALSE(metrics.empty()) << stack->gateway().Output();
  EXPECT_THAT(metrics,
              HasSubstr("gateway_calls_total{code=\"OK\",method=\"ArchiveAssociations\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("gateway_calls_total{code=\"INVALID_ARGUMENT\","
                                 "method=\"ArchiveAssociations\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("gateway_upstream_requests_total{status=\"503\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("gateway_upstream_requests_total{status=\"200\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("gateway_upstream_retries_total 1"));
  EXPECT_THAT(metrics, HasSubstr("gateway_inputs_archived_total 2"));
  EXPECT_THAT(metrics, HasSubstr("gateway_inputs_failed_total 1"));
  EXPECT_THAT(metrics, HasSubstr("gateway_in_flight_calls 0"));
  EXPECT_THAT(metrics,
              HasSubstr("gateway_call_duration_seconds_count{method=\"ArchiveAssociations\"} 2"));
  EXPECT_THAT(metrics, Not(HasSubstr(kSimulatorToken)));
}

TEST_P(DrainSignalTest, AProberSeesNotServingBeforeRefusalWhileCallsAreStillServed) {
  using ::grpc::health::v1::Health;
  using ::grpc::health::v1::HealthCheckRequest;
  using ::grpc::health::v1::HealthCheckResponse;
  constexpr char kService[] = "hubspot.crm.associations.v1.AssociationsArchive";
  StackOptions options;
  // A grace far longer than the test waits: the open Watch must not hold the drain.
  options.gateway_flags = {"--drain_delay=3s", "--shutdown_grace=120s"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const int port = stack->gateway_port();
  EXPECT_EQ(ProbeHealth(port, ""), Probe::kServing);
  EXPECT_EQ(ProbeHealth(port, kService), Probe::kServing);

  auto health = Health::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext watch_context;
  watch_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  HealthCheckRequest watched;
  watched.set_service(kService);
  auto watch = health->Watch(&watch_context, watched);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);

  // The prober checks the server ("") and the service by name in turn, on a
  // new connection each time, until it is refused.
  std::vector<Probe> probes;
  std::atomic<bool> signalled{false};
  std::thread prober([&] {
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    for (int i = 0; absl::Now() < give_up; ++i) {
      const bool before = !signalled.load();
      const Probe probe = ProbeHealth(port, i % 2 == 0 ? "" : kService);
      if (before) continue;  // Only what it saw once the signal was sent counts.
      probes.push_back(probe);
      if (probe == Probe::kRefused) return;
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  signalled = true;
  stack->gateway().Signal(GetParam());
  // EXPECT, not ASSERT: the prober thread must be joined however this goes.
  EXPECT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);
  // Still serving: a call on the open connection and one on a new connection.
  EXPECT_TRUE(Archive(*stack, Request({{"1", {"2"}}})).status.ok());
  {
    grpc::ChannelArguments fresh_connection;
    fresh_connection.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto stub = v1::AssociationsArchive::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(), fresh_connection));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    v1::BatchResult result;
    EXPECT_TRUE(stub->ArchiveAssociations(&context, Request({{"3", {"4"}}}), &result).ok());
  }
  // When the delay is over the Watch ends at once instead of holding the drain.
  EXPECT_FALSE(watch->Read(&update));
  const grpc::Status watch_end = watch->Finish();
  EXPECT_EQ(watch_end.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(watch_end.error_message(), "the gateway is shutting down");
  prober.join();
  EXPECT_EQ(*stack->gateway().WaitForExit(absl::Seconds(60)), 0);

  // Seen after the signal: perhaps SERVING (probes sent before the signal
  // landed), then NOT_SERVING, then refusal; never SERVING again.
  ASSERT_FALSE(probes.empty());
  EXPECT_EQ(probes.back(), Probe::kRefused);
  const auto first_not_serving = std::find(probes.begin(), probes.end(), Probe::kNotServing);
  ASSERT_NE(first_not_serving, probes.end()) << "refused before any NOT_SERVING";
  const auto first_refused = std::find(probes.begin(), probes.end(), Probe::kRefused);
  EXPECT_LT(first_not_serving, first_refused);
  EXPECT_EQ(std::find(first_not_serving, probes.end(), Probe::kServing), probes.end());
  const std::string log = stack->gateway().Output();
  EXPECT_THAT(log,
              HasSubstr(SignalName() + ": health NOT_SERVING; still serving for --drain_delay 3s"));
  EXPECT_THAT(log, HasSubstr("draining: no new calls"));
}

TEST(GatewayIntegrationTest, ReflectionDescribesTheServiceWithoutTheProtoFile) {
  using ::grpc::reflection::v1alpha::ServerReflection;
  using ::grpc::reflection::v1alpha::ServerReflectionRequest;
  using ::grpc::reflection::v1alpha::ServerReflectionResponse;
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  auto reflection = ServerReflection::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", stack->gateway_port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& service : response.list_services_response().service()) {
    services.push_back(service.name());
  }
  EXPECT_THAT(services, ::testing::Contains("hubspot.crm.associations.v1.AssociationsArchive"));

  request.set_file_containing_symbol("hubspot.crm.associations.v1.AssociationsArchive");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  bool found = false;
  for (const std::string& bytes : response.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    if (file.package() == "hubspot.crm.associations.v1") {
      std::vector<std::string> methods;
      for (const auto& method : file.service(0).method()) methods.push_back(method.name());
      EXPECT_THAT(methods,
                  ::testing::ElementsAre("ArchiveAssociations", "ArchiveAssociationsStream",
                                         "ArchiveAssociationLabels"));
      found = file.service_size() == 1;
    }
  }
  EXPECT_TRUE(found);
  stream->WritesDone();
}

TEST(GatewayIntegrationTest, ReflectionV1ListsAndDescribesEveryServiceIncludingHealth) {
  namespace reflection = ::grpc::reflection::v1;
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  auto stub = reflection::ServerReflection::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", stack->gateway_port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  auto stream = stub->ServerReflectionInfo(&context);
  reflection::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  reflection::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& service : response.list_services_response().service()) {
    services.push_back(service.name());
  }
  EXPECT_THAT(services, ::testing::UnorderedElementsAre(
                            "hubspot.crm.associations.v1.AssociationsArchive",
                            "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                            "grpc.reflection.v1alpha.ServerReflection"));
  // What `buf curl` needs to call the health service without its .proto.
  request.set_file_containing_symbol("grpc.health.v1.Health");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_EQ(response.file_descriptor_response().file_descriptor_proto_size(), 1)
      << response.DebugString();
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.package(), "grpc.health.v1");
  ASSERT_EQ(file.service_size(), 1);
  EXPECT_EQ(file.service(0).method_size(), 2);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST(GatewayIntegrationTest, CallsBeyondTheInFlightLimitAreRefusedAtOnce) {
  StackOptions options;
  options.gateway_flags = {"--max_in_flight_calls=2"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"latency_ms", 1500}}).ok());
  std::vector<ArchiveOutcome> calls(6);
  std::vector<std::thread> callers;
  for (auto& call : calls) {
    callers.emplace_back([&] { call = Archive(*stack, Request({{"1", {"2"}}})); });
  }
  for (auto& caller : callers) caller.join();
  int ok = 0, refused = 0;
  for (const auto& call : calls) {
    ok += call.status.ok();
    refused += call.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
  }
  EXPECT_EQ(ok + refused, 6);
  EXPECT_GE(refused, 1);
  EXPECT_GE(ok, 2);
  EXPECT_TRUE(Archive(*stack, Request({{"1", {"2"}}})).status.ok());
}

}  // namespace
}  // namespace hubspot_gateway
