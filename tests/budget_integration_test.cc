// The budget engine end to end: the real gateway's per-token dispatcher
// against the real simulator's rolling rate limiter, one test per problem the
// engine was built to fix. Each asserts behaviour (counts from the
// simulator's /_admin/stats and the gateway's /metrics, what the store still
// holds), not speed; where the behaviour is about waiting, a bound well under
// the 10 s window tells "did not wait it out" apart from "waited it out".
//
// - ManySmallCallsShareFewUpstreamRequests: 600 one-pair calls from 100
//   callers reach HubSpot as a handful of coalesced requests, each call's
//   pair archived, no 429.
// - InteractiveCallOvertakesASaturatingBulkStream: a stream keeps to 80% of
//   each window, so a unary call arriving while it waits goes at once, and
//   the stream still finishes.
// - LearnsAHigherLimitFromHeaders: a burst past the configured 100 does not
//   wait for the window when HubSpot's headers say 1,000.
// - NoRateLimitedAnswersAtTheConfiguredLimit: 2,000 one-pair calls at the
//   real limit draw no 429.
// - DailyLimitStopsTheCallsOtherChunks: after a DAILY 429 the call's other
//   chunks fail at once instead of being sent.
// - CancelledStreamSendsNothingMore: a stream cancelled while its requests
//   wait for the budget sends nothing more, and the gateway serves on.
// - LearnsALowerRealLimitFromAFew429s: HubSpot advertising 190 but enforcing
//   150 costs a handful of 429s over a 20,000-pair job, not one per window.
// - ConcurrentCallsOnDefaultsProbePastTheAdvertisedLimitWithFew429s: the same
//   portal, 200 calls at once on defaults (100 known good): at most 5 429s.
//
// Every test checks that the HubSpot token never appears in any output.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/digest.h"
#include "tests/testing/archive_calls.h"
#include "tests/testing/bulk_stream.h"
#include "tests/testing/polling.h"
#include "tests/testing/stack.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::hubspot_gateway::testing::Archive;
using ::hubspot_gateway::testing::ArchiveOutcome;
using ::hubspot_gateway::testing::BulkStream;
using ::hubspot_gateway::testing::CallConcurrently;
using ::hubspot_gateway::testing::ExpectAllSucceeded;
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

// `count` inputs from ids first_from.. each to one company (from id + 1000000).
v1::ArchiveAssociationsRequest Request(int first_from, int count) {
  return hubspot_gateway::testing::SequentialRequest(first_from, count, 1000000);
}

// `requests` requests of `pairs_each` pairs, ids from `first_from` on.
std::vector<v1::ArchiveAssociationsRequest> Requests(int first_from, int requests, int pairs_each) {
  std::vector<v1::ArchiveAssociationsRequest> all;
  for (int r = 0; r < requests; ++r) {
    all.push_back(Request(first_from + r * pairs_each, pairs_each));
  }
  return all;
}

// Seeds every pair of `requests` into the simulator.
void Seed(Stack& stack, const std::vector<v1::ArchiveAssociationsRequest>& requests) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& request : requests) {
    for (const auto& input : request.inputs()) {
      for (const auto& to : input.to_objects()) {
        pairs.push_back({input.from_object().id(), to.id()});
      }
    }
  }
  ASSERT_TRUE(stack.Seed("contacts", "companies", pairs).ok());
}

void ExpectStoreEmpty(Stack& stack) {
  const auto held = stack.Associations("contacts", "companies");
  ASSERT_TRUE(held.ok());
  EXPECT_THAT(*held, IsEmpty());
}

void ExpectTokenNeverPrinted(Stack& stack) {
  EXPECT_THAT(stack.AllOutput(), Not(HasSubstr(kSimulatorToken)));
  EXPECT_THAT(stack.AllOutput(), Not(HasSubstr("SECRET-TOKEN")));
}

// A gateway counter that is absent until first counted, as a number.
double Counter(Stack& stack, const std::string& series) {
  return std::max(0.0, GatewayMetric(stack, series));
}

// Whether `holds` stays true, polled every 50 ms, until `until`.
bool HoldsUntil(absl::FunctionRef<bool()> holds, absl::Time until) {
  return !WaitUntil([&] { return !holds(); }, until - absl::Now(), absl::Milliseconds(50));
}

// Polls the simulator's archive_requests counter every 50 ms from a thread,
// so a test can tell how many requests any span of time held.
class RequestSampler {
 public:
  // Takes the first sample before returning, so it precedes what follows.
  explicit RequestSampler(Stack& stack) : stack_(stack) {
    TakeSample();
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        absl::SleepFor(absl::Milliseconds(50));
        TakeSample();
      }
    });
  }

  ~RequestSampler() { Stop(); }

  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

  // The most archive requests the simulator counted within any stretch of at
  // most `span` (from before one sample's question to after a later one's
  // answer, so every request counted between them fell inside it).
  int MostWithin(absl::Duration span) {
    absl::MutexLock lock(&mu_);
    int most = 0;
    for (size_t i = 0; i < samples_.size(); ++i) {
      for (size_t j = i + 1; j < samples_.size(); ++j) {
        if (samples_[j].answered - samples_[i].asked > span) break;
        most = std::max(most, samples_[j].count - samples_[i].count);
      }
    }
    return most;
  }

 private:
  struct Sample {
    absl::Time asked;
    absl::Time answered;
    int count;
  };

  void TakeSample() {
    const absl::Time asked = absl::Now();
    const int count = Stat(stack_, "archive_requests");
    const absl::Time answered = absl::Now();
    if (count < 0) return;
    absl::MutexLock lock(&mu_);
    samples_.push_back({asked, answered, count});
  }

  Stack& stack_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  std::vector<Sample> samples_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

TEST(BudgetIntegrationTest, ManySmallCallsShareFewUpstreamRequests) {
  StackOptions options;
  options.simulator_flags = {"--rate_limit_per_10s=190"};
  options.gateway_flags = {"--rate_limit_per_10s=190", "--metrics_listen=127.0.0.1:0"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const auto requests = Requests(1000, 600, 1);
  Seed(*stack, requests);

  ExpectAllSucceeded(CallConcurrently(*stack, requests, 100));

  const int upstream = Stat(*stack, "archive_requests");
  std::cout << "600 one-pair calls from 100 callers: " << upstream << " upstream requests\n";
  // Six full requests of 100 would do; the first lone calls go at once.
  EXPECT_LE(upstream, 12);
  EXPECT_EQ(Stat(*stack, "rate_limited"), 0);
  EXPECT_EQ(Stat(*stack, "archive_inputs"), 600);
  ExpectStoreEmpty(*stack);
  // Each call's one chunk rode exactly one request.
  EXPECT_EQ(GatewayMetric(*stack, "gateway_upstream_request_calls_sum"), 600);
  EXPECT_EQ(GatewayMetric(*stack, "gateway_upstream_request_calls_count"), upstream);
  ExpectTokenNeverPrinted(*stack);
}

TEST(BudgetIntegrationTest, InteractiveCallOvertakesASaturatingBulkStream) {
  StackOptions options;
  options.simulator_flags = {"--rate_limit_per_10s=20"};
  options.gateway_flags = {"--rate_limit_per_10s=20", "--metrics_listen=127.0.0.1:0"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  // 40 requests of 100: at 16 (80% of 20) a window, three windows' work.
  const auto bulk = Requests(1000, 40, 100);
  const auto interactive = Request(900000, 1);
  Seed(*stack, bulk);
  Seed(*stack, {interactive});

  RequestSampler sampler(*stack);
  const absl::Time stream_start = absl::Now();
  BulkStream stream(stack->stub(), bulk);
  // The stream spends its share of the first window, then waits for the next.
  ASSERT_TRUE(
      WaitUntil([&] { return stream.progress().inputs_archived() == 1600; }, absl::Seconds(9)))
      << stream.progress().ShortDebugString();

  const absl::Time call_start = absl::Now();
  const ArchiveOutcome call = Archive(*stack, interactive);
  const absl::Duration call_took = absl::Now() - call_start;
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(call.result.num_errors(), 0);
  std::cout << "unary call during the stream took " << call_took << ", "
            << call_start - stream_start << " after the stream started\n";
  // It went in the 20% bulk work may not use, before the stream's next
  // window opened (10 s after its first request).
  EXPECT_LT(call_took, absl::Seconds(5));
  EXPECT_EQ(Stat(*stack, "archive_requests"), 17);
  EXPECT_EQ(stream.progress().inputs_archived(), 1600);

  const grpc::Status status = stream.Finish();
  const absl::Duration stream_took = absl::Now() - stream_start;
  sampler.Stop();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(stream.progress().done());
  EXPECT_EQ(stream.progress().inputs_archived(), 4000);
  const int most = sampler.MostWithin(absl::Milliseconds(9500));
  std::cout << "stream took " << stream_took << "; most requests within 9.5 s: " << most << "\n";
  // 16 bulk requests and the interactive one at most in any window (the
  // first window held exactly that).
  EXPECT_EQ(most, 17);
  EXPECT_GE(stream_took, absl::Seconds(20));  // Three windows: bulk was held back.
  EXPECT_EQ(Stat(*stack, "archive_requests"), 41);
  EXPECT_EQ(Stat(*stack, "rate_limited"), 0);
  EXPECT_EQ(GatewayMetric(*stack, "gateway_queue_wait_seconds_count{lane=\"bulk\"}"), 40);
  EXPECT_EQ(GatewayMetric(*stack, "gateway_queue_wait_seconds_count{lane=\"interactive\"}"), 1);
  ExpectStoreEmpty(*stack);
  ExpectTokenNeverPrinted(*stack);
}

TEST(BudgetIntegrationTest, LearnsAHigherLimitFromHeaders) {
  StackOptions options;
  // More handler threads than the gateway's 100 upstream connections.
  options.simulator_flags = {"--rate_limit_per_10s=1000", "--latency_ms=100", "--threads=128"};
  options.gateway_flags = {"--metrics_listen=127.0.0.1:0"};  // Plans with 100 until told.
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const auto requests = Requests(1000, 200, 100);
  Seed(*stack, requests);

  const absl::Time start = absl::Now();
  ExpectAllSucceeded(CallConcurrently(*stack, requests, 200));
  const absl::Duration took = absl::Now() - start;

  std::cout << "200 calls of 100 pairs past a configured 100: " << took << "\n";
  EXPECT_EQ(GatewayMetric(*stack, "gateway_learned_rate_limit"), 1000);
  EXPECT_EQ(GatewayMetric(*stack, absl::StrCat("gateway_learned_rate_limit_requests_per_second{"
                                               "token=\"",
                                               Fingerprint(kSimulatorToken), "\"}")),
            100);
  // The 100 calls past 100 did not wait for the 10 s window to roll.
  EXPECT_LT(took, absl::Seconds(5));
  EXPECT_EQ(Stat(*stack, "archive_requests"), 200);
  EXPECT_EQ(Stat(*stack, "rate_limited"), 0);
  ExpectStoreEmpty(*stack);
  ExpectTokenNeverPrinted(*stack);
}

TEST(BudgetIntegrationTest, NoRateLimitedAnswersAtTheConfiguredLimit) {
  StackOptions options;
  options.simulator_flags = {"--rate_limit_per_10s=190"};
  options.gateway_flags = {"--rate_limit_per_10s=190", "--metrics_listen=127.0.0.1:0"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const auto requests = Requests(1000, 2000, 1);
  Seed(*stack, requests);

  ExpectAllSucceeded(CallConcurrently(*stack, requests, 200));

  std::cout << "2,000 one-pair calls from 200 callers: " << Stat(*stack, "archive_requests")
            << " upstream requests, " << Stat(*stack, "rate_limited") << " 429s\n";
  EXPECT_EQ(Stat(*stack, "rate_limited"), 0);
  EXPECT_EQ(Counter(*stack, "gateway_upstream_rate_limited_total{policy=\"ROLLING\"}"), 0);
  EXPECT_EQ(Stat(*stack, "archive_inputs"), 2000);
  ExpectStoreEmpty(*stack);
  ExpectTokenNeverPrinted(*stack);
}

TEST(BudgetIntegrationTest, DailyLimitStopsTheCallsOtherChunks) {
  StackOptions options;
  // One chunk in flight at a time: the per-call cap alone (no adaptive limit per token).
  options.gateway_flags = {"--max_concurrent_requests_per_call=1",
                           "--max_requests_in_flight_per_token=0", "--metrics_listen=127.0.0.1:0"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const auto request = Request(1000, 500);  // Five chunks, sent one at a time.
  Seed(*stack, {request});
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"daily_limit_next", 1}}).ok());

  const ArchiveOutcome call = Archive(*stack, request);

  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << call.status.error_message();
  EXPECT_THAT(call.status.error_message(), HasSubstr("DAILY"));
  // The first chunk drew the 429; the other four were never sent.
  EXPECT_EQ(Stat(*stack, "archive_requests"), 1);
  EXPECT_EQ(Stat(*stack, "rate_limited"), 1);
  EXPECT_EQ(Counter(*stack, "gateway_upstream_rate_limited_total{policy=\"DAILY\"}"), 1);
  EXPECT_EQ(stack->Associations("contacts", "companies")->size(), 500u);
  ExpectTokenNeverPrinted(*stack);
}

TEST(BudgetIntegrationTest, CancelledStreamSendsNothingMore) {
  StackOptions options;
  options.simulator_flags = {"--rate_limit_per_10s=10"};
  options.gateway_flags = {"--rate_limit_per_10s=10", "--metrics_listen=127.0.0.1:0"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);

  BulkStream stream(stack->stub(), Requests(1000, 100, 100));
  // 8 requests (80% of 10) go; the stream's next ones wait for the window.
  ASSERT_TRUE(
      WaitUntil([&] { return stream.progress().inputs_archived() == 800; }, absl::Seconds(9)))
      << stream.progress().ShortDebugString();
  ASSERT_EQ(Stat(*stack, "archive_requests"), 8);
  // The first request went before now, so its window ends by now + 10.2 s.
  const absl::Time window_spent = absl::Now();
  EXPECT_EQ(Counter(*stack, "gateway_cancellations_total"), 0);

  stream.Cancel();
  EXPECT_EQ(stream.Finish().error_code(), grpc::StatusCode::CANCELLED);

  // The queued requests were dropped: past the moment the window would have
  // let them go, the simulator has seen nothing more.
  EXPECT_TRUE(WaitUntil([&] { return Counter(*stack, "gateway_cancellations_total") >= 1; },
                        absl::Seconds(5)));
  EXPECT_TRUE(HoldsUntil([&] { return Stat(*stack, "archive_requests") == 8; },
                         window_spent + absl::Seconds(11)))
      << Stat(*stack, "archive_requests") << " archive requests";
  std::cout << "cancellations counted: " << Counter(*stack, "gateway_cancellations_total") << "\n";

  const ArchiveOutcome next = Archive(*stack, Request(900000, 1));
  EXPECT_TRUE(next.status.ok()) << next.status.error_message();
  EXPECT_EQ(Stat(*stack, "archive_requests"), 9);
  EXPECT_EQ(Stat(*stack, "rate_limited"), 0);
  ExpectTokenNeverPrinted(*stack);
}

// A stream holds up to the token's adaptive concurrency limit (20 at first)
// in the gateway; few 429s all the same.
TEST(BudgetIntegrationTest, LearnsALowerRealLimitFromAFew429s) {
  StackOptions options;
  // The portal's real limit is below the one the headers (and config) say.
  options.simulator_flags = {"--rate_limit_per_10s=150", "--advertised_rate_limit_per_10s=190"};
  options.gateway_flags = {"--rate_limit_per_10s=190", "--metrics_listen=127.0.0.1:0"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const auto requests = Requests(1000, 200, 100);  // 20,000 pairs.
  Seed(*stack, requests);

  const absl::Time start = absl::Now();
  BulkStream stream(stack->stub(), requests);
  const grpc::Status status = stream.Finish();
  const absl::Duration took = absl::Now() - start;

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stream.progress().inputs_archived(), 20000);
  EXPECT_EQ(stream.progress().inputs_failed(), 0);
  const int rate_limited = Stat(*stack, "rate_limited");
  std::cout << "20,000 pairs, 190 advertised, 150 enforced: " << rate_limited << " 429s, "
            << Stat(*stack, "archive_requests") << " upstream requests, " << took
            << "; learned limit " << GatewayMetric(*stack, "gateway_learned_rate_limit") << "\n";
  EXPECT_LE(rate_limited, 5);
  EXPECT_GE(rate_limited, 1);  // Nothing told it the real limit but a 429.
  EXPECT_EQ(Stat(*stack, "archive_requests"), 200 + rate_limited);
  EXPECT_LE(GatewayMetric(*stack, "gateway_learned_rate_limit"), 152);
  ExpectStoreEmpty(*stack);
  ExpectTokenNeverPrinted(*stack);
}

TEST(BudgetIntegrationTest, ConcurrentCallsOnDefaultsProbePastTheAdvertisedLimitWithFew429s) {
  StackOptions options;
  options.simulator_flags = {"--rate_limit_per_10s=150", "--advertised_rate_limit_per_10s=190",
                             "--threads=256"};
  options.gateway_flags = {"--metrics_listen=127.0.0.1:0"};  // Defaults: 100 known good.
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  const auto requests = Requests(1000, 200, 100);  // 20,000 pairs, all at once.
  Seed(*stack, requests);
  ExpectAllSucceeded(CallConcurrently(*stack, requests, 200));
  const int rate_limited = Stat(*stack, "rate_limited");
  std::cout << "200 concurrent calls of 100, 190 advertised, 150 enforced, defaults: "
            << rate_limited << " 429s, " << Stat(*stack, "archive_requests")
            << " upstream requests; learned limit "
            << GatewayMetric(*stack, "gateway_learned_rate_limit") << "\n";
  // Past the 100 it knows, at most 4 requests probe at once, however many
  // calls wait and however the machine paces them: finding the real 150
  // costs those 4 at most, and the climb back toward the advertised 190
  // one request per raise (the job ends within the second window: one raise).
  EXPECT_GE(rate_limited, 1);  // Nothing told it the real limit but a 429.
  EXPECT_LE(rate_limited, 5);
  EXPECT_EQ(Stat(*stack, "archive_requests"), 200 + rate_limited);
  EXPECT_LE(GatewayMetric(*stack, "gateway_learned_rate_limit"), 152);
  ExpectStoreEmpty(*stack);
  ExpectTokenNeverPrinted(*stack);
}

}  // namespace
}  // namespace hubspot_gateway
