// Gateway replicas sharing one HubSpot budget through a real redis-server
// (--budget_store), with real gateway and simulator processes. Each test
// asserts what happened (the simulator's counters, what its store still
// holds, the gateways' /metrics), never how fast.
//
// - FourReplicasShareOneBudget: one token, the simulator at 190/10 s, 40,000
//   pairs split across 4 replicas' bulk streams: every pair archived, 429s
//   (target 0) bounded.
// - FourReplicasBurstOfUnaryCalls: 400 calls of 100 pairs split across 4
//   replicas, 64 in flight on each: without the shared budget each replica
//   sends its own window at once (hundreds of 429s, failed calls:
//   BENCHMARKS.md section 4); with it, every call succeeds and 429s stay bounded.
// - InteractiveCallOnOneReplicaWhileAnotherRunsBulk: the bulk stream on one
//   replica keeps to its share of the shared window, so a unary call on
//   another replica is served.
// - RedisKilledMidRunAndRestarted: every pair archived; each replica's
//   metrics show the fallback and the return; 429s bounded.
// - RedisErrorRepliesAreTheStoreFailing: Redis out of memory (maxmemory 1,
//   noeviction) answers the budget script with OOM: the replica plans
//   locally (gauge 1), logs one line however many calls, fails no call, and
//   shares again once Redis has memory.
// - AStoredDailyStopADayAheadHoldsAtMostMaxRetryAfter: a `daily` value a day
//   ahead in Redis stops the token for --max_retry_after at most, and the
//   call is told the budget store holds it, not HubSpot.
//
// Redis runs with a password (given by file); every test checks that neither
// it nor the HubSpot token appears in any process's output.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/budget/redis_budget.h"
#include "tests/testing/archive_calls.h"
#include "tests/testing/bulk_stream.h"
#include "tests/testing/polling.h"
#include "tests/testing/redis_server.h"
#include "tests/testing/stack.h"
#include "tests/testing/subprocess.h"

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
using ::hubspot_gateway::testing::RedisServer;
using ::hubspot_gateway::testing::SequentialRequest;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::StartStack;
using ::hubspot_gateway::testing::Stat;
using ::hubspot_gateway::testing::TempPath;
using ::hubspot_gateway::testing::WaitUntil;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kRedisPassword[] = "redis-PASSWORD-for-replicas-42";
const absl::Duration kWait = absl::Seconds(60);

// A redis-server with a password, a simulator at 190/10 s, and `replicas`
// gateways sharing their budget in that Redis.
class ReplicasTest : public ::testing::Test {
 protected:
  void StartReplicas(int replicas, const std::vector<std::string>& extra_flags = {}) {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start(kRedisPassword);
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    const std::string password_file = TempPath("redis-password");
    {
      std::ofstream file(password_file);
      file << kRedisPassword << "\n";
    }
    StackOptions options;
    options.simulator_flags = {"--rate_limit_per_10s=190"};
    options.start_gateway = false;
    stack_ = StartStack(options);
    ASSERT_NE(stack_, nullptr);
    for (int i = 0; i < replicas; ++i) {
      std::vector<std::string> flags = {
          "--rate_limit_per_10s=190", "--metrics_listen=127.0.0.1:0",
          absl::StrCat("--budget_store=", redis_->url()),
          absl::StrCat("--budget_store_password_file=", password_file),
          absl::StrCat("--budget_store_replicas=", replicas)};
      flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
      absl::StatusOr<size_t> replica = stack_->StartReplica(flags);
      ASSERT_TRUE(replica.ok()) << replica.status();
    }
    for (int i = 0; i < replicas; ++i) {
      ASSERT_TRUE(WaitUntil([&] { return Metric(i, "gateway_budget_store_fallback") == 0; }, kWait))
          << stack_->replica(i).Output();
    }
  }

  void TearDown() override {
    if (stack_ == nullptr || redis_ == nullptr) return;
    for (const std::string& output : {stack_->AllOutput(), redis_->Output()}) {
      EXPECT_THAT(output, Not(HasSubstr(kSimulatorToken)));
      EXPECT_THAT(output, Not(HasSubstr("SECRET-TOKEN")));
      EXPECT_THAT(output, Not(HasSubstr(kRedisPassword)));
      EXPECT_THAT(output, Not(HasSubstr("PASSWORD-for-replicas")));
    }
  }

  double Metric(int replica, const std::string& series) {
    return GatewayMetric(stack_->replica(replica), series);
  }

  // `streams` requests of `per_stream` x 100 pairs, ids from 1 on, seeded.
  std::vector<std::vector<v1::ArchiveAssociationsRequest>> SeededStreams(int streams,
                                                                         int per_stream) {
    std::vector<std::vector<v1::ArchiveAssociationsRequest>> all(streams);
    std::vector<std::pair<std::string, std::string>> pairs;
    for (int s = 0; s < streams; ++s) {
      for (int r = 0; r < per_stream; ++r) {
        all[s].push_back(SequentialRequest(1 + (s * per_stream + r) * 100, 100, 1000000));
        for (const auto& input : all[s].back().inputs()) {
          pairs.push_back({input.from_object().id(), input.to_objects(0).id()});
        }
      }
    }
    EXPECT_TRUE(stack_->Seed("contacts", "companies", pairs).ok());
    return all;
  }

  void ExpectEveryPairArchived() {
    const auto held = stack_->Associations("contacts", "companies");
    ASSERT_TRUE(held.ok());
    EXPECT_THAT(*held, IsEmpty());
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<Stack> stack_;
};

TEST_F(ReplicasTest, FourReplicasShareOneBudget) {
  StartReplicas(4);
  const auto requests = SeededStreams(4, 100);
  std::vector<std::unique_ptr<BulkStream>> streams;
  for (int i = 0; i < 4; ++i) {
    streams.push_back(std::make_unique<BulkStream>(stack_->replica_stub(i), requests[i]));
  }
  for (auto& stream : streams) EXPECT_TRUE(stream->Finish().ok());
  ExpectEveryPairArchived();
  const int rate_limited = Stat(*stack_, "rate_limited");
  std::cout << "4 replicas, 40,000 pairs: " << Stat(*stack_, "archive_requests")
            << " upstream requests, " << rate_limited << " 429s" << std::endl;
  EXPECT_LE(rate_limited, 3);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Metric(i, "gateway_budget_store_fallbacks_total"), 0);
}

TEST_F(ReplicasTest, FourReplicasBurstOfUnaryCalls) {
  StartReplicas(4);
  const auto requests = SeededStreams(4, 100);
  std::vector<std::thread> replicas;
  for (int i = 0; i < 4; ++i) {
    replicas.emplace_back([this, i, &requests] {
      ExpectAllSucceeded(CallConcurrently(stack_->replica_stub(i), requests[i], 64));
    });
  }
  for (std::thread& replica : replicas) replica.join();
  ExpectEveryPairArchived();
  const int rate_limited = Stat(*stack_, "rate_limited");
  std::cout << "4 replicas, a burst of 400 calls: " << rate_limited << " 429s" << std::endl;
  EXPECT_LE(rate_limited, 3);
}

TEST_F(ReplicasTest, InteractiveCallOnOneReplicaWhileAnotherRunsBulk) {
  StartReplicas(2);
  const auto requests = SeededStreams(2, 200);
  BulkStream bulk(stack_->replica_stub(0), requests[0]);
  // The bulk stream has taken its 80% of the window (152 of 190).
  ASSERT_TRUE(WaitUntil([&] { return Stat(*stack_, "archive_requests") >= 152; }, kWait));
  const auto outcome = Archive(stack_->replica_stub(1), requests[1][0]);
  EXPECT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_EQ(outcome.result.num_errors(), 0);
  EXPECT_EQ(Stat(*stack_, "rate_limited"), 0);
  bulk.Cancel();
}

TEST_F(ReplicasTest, RedisKilledMidRunAndRestarted) {
  StartReplicas(2);
  const auto requests = SeededStreams(2, 100);
  BulkStream first(stack_->replica_stub(0), requests[0]);
  BulkStream second(stack_->replica_stub(1), requests[1]);
  ASSERT_TRUE(WaitUntil([&] { return Stat(*stack_, "archive_requests") >= 40; }, kWait));
  redis_->Kill();
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(WaitUntil([&] { return Metric(i, "gateway_budget_store_fallback") == 1; }, kWait));
  }
  // The replicas go on alone.
  const int before = Stat(*stack_, "archive_requests");
  ASSERT_TRUE(WaitUntil([&] { return Stat(*stack_, "archive_requests") >= before + 20; }, kWait));
  ASSERT_TRUE(redis_->Restart().ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(WaitUntil([&] { return Metric(i, "gateway_budget_store_fallback") == 0; }, kWait));
    EXPECT_EQ(Metric(i, "gateway_budget_store_fallbacks_total"), 1);
    EXPECT_GE(Metric(i, "gateway_budget_store_errors_total"), 1);
  }
  EXPECT_TRUE(first.Finish().ok());
  EXPECT_TRUE(second.Finish().ok());
  ExpectEveryPairArchived();
  const int rate_limited = Stat(*stack_, "rate_limited");
  std::cout << "Redis killed and restarted: " << rate_limited << " 429s" << std::endl;
  EXPECT_LE(rate_limited, 20);
  EXPECT_THAT(stack_->AllOutput(), HasSubstr("falls back to a local budget"));
}

// How many lines of `output` contain `text`.
int LinesWith(const std::string& output, absl::string_view text) {
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    lines += absl::StrContains(line, text);
  }
  return lines;
}

TEST_F(ReplicasTest, RedisErrorRepliesAreTheStoreFailing) {
  StartReplicas(1);
  const auto requests = SeededStreams(1, 30)[0];
  ASSERT_TRUE(redis_->Command({"CONFIG", "SET", "maxmemory-policy", "noeviction"}).ok());
  ASSERT_TRUE(redis_->Command({"CONFIG", "SET", "maxmemory", "1"}).ok());
  const std::vector<v1::ArchiveAssociationsRequest> first(requests.begin(), requests.begin() + 20);
  ExpectAllSucceeded(CallConcurrently(stack_->replica_stub(0), first, 4));
  ASSERT_TRUE(WaitUntil([&] { return Metric(0, "gateway_budget_store_fallback") == 1; }, kWait));
  EXPECT_GE(Metric(0, "gateway_budget_store_errors_total"), 1);
  EXPECT_EQ(LinesWith(stack_->replica(0).Output(), "answered the budget script with an error"), 1)
      << stack_->replica(0).Output();
  EXPECT_THAT(stack_->replica(0).Output(), HasSubstr("OOM"));

  ASSERT_TRUE(redis_->Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  size_t next = 20;
  ASSERT_TRUE(WaitUntil(
      [&] {
        // Archiving a pair again is harmless; each call asks the budget.
        EXPECT_TRUE(
            Archive(stack_->replica_stub(0), requests[next++ % requests.size()]).status.ok());
        return Metric(0, "gateway_budget_store_fallback") == 0;
      },
      kWait));
  EXPECT_THAT(stack_->replica(0).Output(), HasSubstr("runs the budget script again"));
  EXPECT_EQ(Metric(0, "gateway_budget_store_fallbacks_total"), 1);
  for (size_t i = 20; i < requests.size(); ++i) {
    EXPECT_TRUE(Archive(stack_->replica_stub(0), requests[i]).status.ok());
  }
  ExpectEveryPairArchived();
}

TEST_F(ReplicasTest, AStoredDailyStopADayAheadHoldsAtMostMaxRetryAfter) {
  StartReplicas(1, {"--max_retry_after=2s"});
  const auto requests = SeededStreams(1, 2)[0];
  absl::StatusOr<std::string> time = redis_->Command({"TIME"});
  ASSERT_TRUE(time.ok()) << time.status();
  int64_t seconds = 0;
  ASSERT_TRUE(absl::SimpleAtoi(std::vector<std::string>(absl::StrSplit(*time, '\n'))[0], &seconds));
  ASSERT_TRUE(redis_
                  ->Command({"HSET", RedisBudgetStore::KeyOf(kSimulatorToken), "daily",
                             absl::StrCat((seconds + 86400) * 1000)})
                  .ok());
  const ArchiveOutcome stopped = Archive(stack_->replica_stub(0), requests[0]);
  EXPECT_EQ(stopped.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(stopped.status.error_message(), HasSubstr("budget store"));
  EXPECT_THAT(stopped.status.error_message(), Not(HasSubstr("HubSpot")));
  // Within --max_retry_after (2 s), not a day, the token is served again.
  ASSERT_TRUE(WaitUntil([&] { return Archive(stack_->replica_stub(0), requests[0]).status.ok(); },
                        absl::Seconds(30), absl::Milliseconds(500)));
  EXPECT_TRUE(Archive(stack_->replica_stub(0), requests[1]).status.ok());
  ExpectEveryPairArchived();
  EXPECT_EQ(Stat(*stack_, "rate_limited"), 0);
}

}  // namespace
}  // namespace hubspot_gateway
