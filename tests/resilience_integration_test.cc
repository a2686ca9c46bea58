// Resilience end to end: the real gateway against the real simulator's fault
// injection. Each test checks the RPC outcome, that the gateway still serves
// afterwards, and that the simulator's final state is what the answers claim.
#include <signal.h>

#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/archive_calls.h"
#include "tests/testing/polling.h"
#include "tests/testing/stack.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::hubspot_gateway::testing::Archive;
using ::hubspot_gateway::testing::ArchiveOutcome;
using ::hubspot_gateway::testing::GatewayMetric;
using ::hubspot_gateway::testing::kSimulatorToken;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::StartStack;
using ::hubspot_gateway::testing::Stat;
using ::hubspot_gateway::testing::WaitUntil;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// `count` inputs from ids first_from.. each to one company (from id + 100000).
v1::ArchiveAssociationsRequest Request(int first_from, int count) {
  return hubspot_gateway::testing::SequentialRequest(first_from, count, 100000);
}

std::vector<std::pair<std::string, std::string>> PairsOf(
    const v1::ArchiveAssociationsRequest& request) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& input : request.inputs()) {
    for (const auto& to : input.to_objects()) pairs.push_back({input.from_object().id(), to.id()});
  }
  return pairs;
}

int StatusCount(Stack& stack, const std::string& http_status) {
  auto stats = stack.AdminGet("/_admin/stats");
  if (!stats.ok()) return -1;
  const auto& by_status = (*stats)["responses_by_status"];
  return by_status.contains(http_status) ? by_status[http_status].get<int>() : 0;
}

// The "from>to" pairs the answer reports as failed (from the errors' inputs).
std::set<std::string> FailedPairs(const v1::BatchResult& result) {
  std::set<std::string> failed;
  for (const auto& error : result.errors()) {
    auto it = error.context().find("inputs");
    if (it == error.context().end()) continue;
    for (const std::string& input : it->second.values()) {
      std::vector<std::string> sides = absl::StrSplit(input, ':');
      for (const auto& to : absl::StrSplit(sides[1], ',')) {
        failed.insert(absl::StrCat(sides[0], ">", to));
      }
    }
  }
  return failed;
}

// The simulator holds exactly the seeded pairs the answer says failed.
void ExpectStoreMatchesAnswer(Stack& stack, const v1::BatchResult& result) {
  const auto remaining = stack.Associations("contacts", "companies");
  ASSERT_TRUE(remaining.ok());
  const std::set<std::string> held(remaining->begin(), remaining->end());
  EXPECT_EQ(held, FailedPairs(result));
  EXPECT_EQ(held.size(), remaining->size());
}

void ExpectStillServes(Stack& stack) {
  const auto request = Request(900000, 1);
  const ArchiveOutcome call = Archive(stack, request);
  EXPECT_TRUE(call.status.ok()) << call.status.error_message();
}

TEST(ResilienceTest, FiveHundredBurstThenRecovery) {
  StackOptions options;
  options.gateway_flags = {"--max_attempts=3", "--initial_backoff=20ms"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const auto request = Request(1000, 10);
  ASSERT_TRUE(stack->Seed("contacts", "companies", PairsOf(request)).ok());

  // A burst longer than the retries: the call fails after 3 attempts.
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"fail_next", 3}}).ok());
  ArchiveOutcome call = Archive(*stack, request);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(stack->Associations("contacts", "companies")->size(), 10u);
  // A shorter burst is absorbed by retries.
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"fail_next", 2}}).ok());
  call = Archive(*stack, request);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(call.result.num_errors(), 0);
  ExpectStoreMatchesAnswer(*stack, call.result);
  EXPECT_EQ(StatusCount(*stack, "503"), 5);
  ExpectStillServes(*stack);
}

TEST(ResilienceTest, RateLimitStormWithRetryAfterIsWaitedOut) {
  StackOptions options;
  options.gateway_flags = {"--max_attempts=4", "--initial_backoff=10ms"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const auto request = Request(2000, 5);
  ASSERT_TRUE(stack->Seed("contacts", "companies", PairsOf(request)).ok());
  ASSERT_TRUE(
      stack->AdminPost("/_admin/faults", {{"rate_limit_next", 3}, {"retry_after", "1"}}).ok());
  const absl::Time start = absl::Now();
  const ArchiveOutcome call = Archive(*stack, request);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  // Retry-After was honoured each time (a correctness bound, not a speed one).
  EXPECT_GE(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(StatusCount(*stack, "429"), 3);
  ExpectStoreMatchesAnswer(*stack, call.result);
  ExpectStillServes(*stack);
}

// The case against the real simulator: a portal enforcing 15 requests
// per 10 s while advertising 150 answers the 16th with a rolling 429 and no
// Retry-After. The limit drops to 15 (a tenth of 150 is the floor), which the
// window already holds, so the token's next request can go only when the
// window moves on, about 10 s after the first. A call with 5 s left fails at once with
// RESOURCE_EXHAUSTED, HubSpot's 429 and the wait in its UpstreamError,
// instead of waiting into a bare DEADLINE_EXCEEDED.
TEST(ResilienceTest, ARateLimitWaitPastTheDeadlineFailsAtOnceSayingHowLong) {
  StackOptions options;
  options.simulator_flags = {"--rate_limit_per_10s=15", "--advertised_rate_limit_per_10s=150"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  for (int i = 0; i < 15; ++i) {
    const ArchiveOutcome call = Archive(*stack, Request(3000 + i, 1), absl::Seconds(5));
    ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  }
  const ArchiveOutcome late = Archive(*stack, Request(3100, 1), absl::Seconds(5));
  EXPECT_EQ(late.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << late.status.error_message();
  EXPECT_THAT(late.status.error_message(), HasSubstr("after this call's deadline"));
  const auto error = late.upstream();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->http_status(), 429);
  EXPECT_EQ(error->policy_name(), "TEN_SECONDLY_ROLLING");
  EXPECT_EQ(error->attempts(), 1);
  // How long the limit holds the token: past the 5 s the call had, within
  // the window.
  const absl::Duration wait = absl::Seconds(error->retry_after().seconds()) +
                              absl::Nanoseconds(error->retry_after().nanos());
  EXPECT_GT(wait, absl::Seconds(4));
  EXPECT_LE(wait, absl::Seconds(11));
  // Sent once: the retry was never attempted.
  EXPECT_EQ(StatusCount(*stack, "429"), 1);
}

// A 429 with no body (what a proxy in front of HubSpot sends) and one whose
// policy is SECONDLY are rolling limits too: each call succeeds on its second
// attempt, sent at least the Retry-After (1 s) after the first.
TEST(ResilienceTest, BodylessAndSecondlyRateLimitsAreRetriedAfterRetryAfter) {
  auto stack = StartStack(StackOptions());
  ASSERT_NE(stack, nullptr);
  int first_from = 6000;
  for (const char* fault : {"bodyless_rate_limit_next", "secondly_limit_next"}) {
    SCOPED_TRACE(fault);
    ASSERT_TRUE(stack->AdminPost("/_admin/reset", nlohmann::json::object()).ok());
    const auto request = Request(first_from, 5);
    first_from += 1000;
    ASSERT_TRUE(stack->Seed("contacts", "companies", PairsOf(request)).ok());
    ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{fault, 1}, {"retry_after", "1"}}).ok());
    const ArchiveOutcome call = Archive(*stack, request);
    ASSERT_TRUE(call.status.ok()) << call.status.error_message();
    EXPECT_EQ(call.result.num_errors(), 0);
    EXPECT_EQ(Stat(*stack, "archive_requests"), 2);
    EXPECT_EQ(StatusCount(*stack, "429"), 1);
    EXPECT_EQ(StatusCount(*stack, "200"), 1);
    const auto stats = stack->AdminGet("/_admin/stats");
    ASSERT_TRUE(stats.ok());
    const int64_t first_us = (*stats)["first_archive_request_unix_us"].get<int64_t>();
    const int64_t last_us = (*stats)["last_archive_request_unix_us"].get<int64_t>();
    ASSERT_GT(first_us, 0);
    EXPECT_GE(last_us - first_us, 1000000);
    ExpectStoreMatchesAnswer(*stack, call.result);
  }
}

TEST(ResilienceTest, RateLimitStormWithoutRetryAfterWaitsForTheWindow) {
  StackOptions options;
  // A 1 s window, announced in the headers the gateway learns from.
  options.simulator_flags = {"--rate_limit_interval_ms=1000"};
  options.gateway_flags = {"--max_attempts=4", "--initial_backoff=10ms"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ExpectStillServes(*stack);  // The gateway learns the 1 s window here.
  const auto request = Request(3000, 5);
  ASSERT_TRUE(stack->Seed("contacts", "companies", PairsOf(request)).ok());
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"rate_limit_next", 2}}).ok());
  const ArchiveOutcome call = Archive(*stack, request);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(StatusCount(*stack, "429"), 2);
  ExpectStoreMatchesAnswer(*stack, call.result);
}

TEST(ResilienceTest, DailyLimitIsNotRetried) {
  StackOptions options;
  options.simulator_flags = {"--daily_limit=2"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ExpectStillServes(*stack);
  ExpectStillServes(*stack);
  // The second answer said no daily requests are left: the gateway fails the
  // third call at once instead of spending an error on HubSpot.
  const ArchiveOutcome call = Archive(*stack, Request(4000, 1));
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(call.status.error_message(), HasSubstr("DAILY"));
  EXPECT_EQ(StatusCount(*stack, "429"), 0);
  EXPECT_EQ(StatusCount(*stack, "200"), 2);  // 2026-03 answers a BatchResponse
}

TEST(ResilienceTest, DroppedConnectionsAreRetried) {
  StackOptions options;
  options.gateway_flags = {"--max_attempts=4", "--initial_backoff=10ms"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const auto request = Request(5000, 300);
  ASSERT_TRUE(stack->Seed("contacts", "companies", PairsOf(request)).ok());
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"drop_next", 3}}).ok());
  const ArchiveOutcome call = Archive(*stack, request);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(call.result.num_errors(), 0);
  EXPECT_EQ(Stat(*stack, "dropped"), 3);
  ExpectStoreMatchesAnswer(*stack, call.result);
  ExpectStillServes(*stack);
}

TEST(ResilienceTest, MalformedBodiesAreInternalAndNotRetried) {
  auto stack = StartStack({});
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"malformed_next", 1}}).ok());
  const ArchiveOutcome call = Archive(*stack, Request(6000, 1));
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(Stat(*stack, "archive_requests"), 1);
  ExpectStillServes(*stack);
}

TEST(ResilienceTest, HangPastTheDeadlineThenServes) {
  StackOptions options;
  options.gateway_flags = {"--upstream_timeout=500ms", "--max_attempts=2",
                           "--initial_backoff=10ms"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  // One hang: the attempt times out after 500 ms and the retry succeeds.
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"hang_next", 1}, {"hang_ms", 20000}}).ok());
  ArchiveOutcome call = Archive(*stack, Request(7000, 1), absl::Seconds(10));
  EXPECT_TRUE(call.status.ok()) << call.status.error_message();
  // Hangs on every attempt: DEADLINE_EXCEEDED, within the caller's deadline.
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"hang_next", 5}}).ok());
  const absl::Time start = absl::Now();
  call = Archive(*stack, Request(7000, 1), absl::Seconds(3));
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));
  ASSERT_TRUE(stack->AdminPost("/_admin/reset", nlohmann::json::object()).ok());
  ExpectStillServes(*stack);
}

TEST(ResilienceTest, SimulatorKilledAndRestartedMidRun) {
  StackOptions options;
  options.gateway_flags = {"--max_attempts=6", "--initial_backoff=200ms", "--max_backoff=1s",
                           "--metrics_listen=127.0.0.1:0"};
  options.simulator_flags = {"--latency_ms=20"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ExpectStillServes(*stack);
  stack->KillSimulator();
  // While it is down, calls fail cleanly with UNAVAILABLE.
  ArchiveOutcome call = Archive(*stack, Request(8000, 1), absl::Seconds(2));
  EXPECT_THAT(call.status.error_code(),
              ::testing::AnyOf(grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::DEADLINE_EXCEEDED));
  // That call has left the gateway (it may outlast its caller's deadline by a
  // retry), so every retry counted from here on is the next call's.
  ASSERT_TRUE(WaitUntil([&] { return GatewayMetric(*stack, "gateway_in_flight_calls") == 0; },
                        absl::Seconds(20)));
  const double retries_before = GatewayMetric(*stack, "gateway_upstream_retries_total");
  // A call in flight across the restart completes through its retries: the
  // simulator comes back once the call has failed an attempt against it.
  const auto request = Request(8100, 250);
  std::thread restarter([&] {
    EXPECT_TRUE(WaitUntil(
        [&] { return GatewayMetric(*stack, "gateway_upstream_retries_total") > retries_before; },
        absl::Seconds(20)))
        << "the call never retried";
    ASSERT_TRUE(stack->RestartSimulator().ok());
    ASSERT_TRUE(stack->Seed("contacts", "companies", PairsOf(request)).ok());
  });
  call = Archive(*stack, request, absl::Seconds(30));
  restarter.join();
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(call.result.num_errors(), 0);
  // Chunks that reached the new simulator before the seeding removed nothing;
  // archiving again (idempotent) must leave the store empty.
  call = Archive(*stack, request);
  ASSERT_TRUE(call.status.ok());
  EXPECT_THAT(*stack->Associations("contacts", "companies"), IsEmpty());
  ExpectStillServes(*stack);
}

TEST(ResilienceTest, ThousandInputsWithOneChunkFailingPermanently) {
  StackOptions options;
  options.gateway_flags = {"--max_attempts=3", "--initial_backoff=10ms",
                           "--max_concurrent_requests_per_call=4"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const auto request = Request(10000, 1000);
  ASSERT_TRUE(stack->Seed("contacts", "companies", PairsOf(request)).ok());
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"fail_from_ids", {"10555"}}}).ok());
  const ArchiveOutcome call = Archive(*stack, request);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  ASSERT_EQ(call.result.errors_size(), 1);
  EXPECT_EQ(call.result.num_errors(), 1);
  const auto& context = call.result.errors(0).context();
  EXPECT_EQ(context.at("fromIds").values_size(), 100);
  EXPECT_EQ(context.at("attempts").values(0), "3");
  EXPECT_EQ(context.at("httpStatus").values(0), "503");
  ExpectStoreMatchesAnswer(*stack, call.result);
  EXPECT_EQ(Stat(*stack, "archive_requests"), 9 + 3);
  EXPECT_EQ(Stat(*stack, "max_inputs_seen"), 100);
  ExpectStillServes(*stack);
}

TEST(ResilienceTest, SigtermCancelsCallsStillRunningAfterTheGrace) {
  StackOptions options;
  options.gateway_flags = {"--shutdown_grace=500ms"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"hang_next", 1}, {"hang_ms", 20000}}).ok());
  ArchiveOutcome stuck;
  std::thread caller([&] { stuck = Archive(*stack, Request(20000, 1), absl::Seconds(30)); });
  EXPECT_TRUE(WaitUntil([&] { return Stat(*stack, "hung") >= 1; }, absl::Seconds(20)))
      << "the call never reached the simulator";
  const absl::Time signalled = absl::Now();
  stack->gateway().Signal(SIGTERM);
  caller.join();
  EXPECT_EQ(stuck.status.error_code(), grpc::StatusCode::CANCELLED) << stuck.status.error_message();
  EXPECT_THAT(stuck.status.error_message(), HasSubstr("shutting down"));
  EXPECT_LT(absl::Now() - signalled, absl::Seconds(10));  // Not the 20 s hang.
  const auto exit_status = stack->gateway().WaitForExit(absl::Seconds(20));
  ASSERT_TRUE(exit_status.ok());
  EXPECT_EQ(*exit_status, 0);
  EXPECT_THAT(stack->gateway().Output(), HasSubstr("cancelling the remaining calls"));
  EXPECT_THAT(stack->AllOutput(), Not(HasSubstr(kSimulatorToken)));
}

}  // namespace
}  // namespace hubspot_gateway
