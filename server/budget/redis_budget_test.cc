#include "server/budget/redis_budget.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/clock/timer_thread_scheduler.h"
#include "server/redis/redis_url.h"
#include "tests/testing/polling.h"
#include "tests/testing/redis_server.h"

namespace hubspot_gateway {
namespace {

using ::hubspot_gateway::testing::RedisServer;
using ::hubspot_gateway::testing::WaitUntil;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "pat-na1-REDIS-TEST-TOKEN-0123456789";
const absl::Duration kWait = absl::Seconds(10);

// Counts what the store reports.
struct StoreObserver : public BudgetStoreObserver {
  void OnBudgetStoreReservation(absl::Duration) override { ++reservations; }
  void OnBudgetStoreError() override { ++errors; }
  void OnBudgetStoreFallback(bool active) override { ++(active ? fallbacks : returns); }

  std::atomic<int> reservations{0};
  std::atomic<int> errors{0};
  std::atomic<int> fallbacks{0};
  std::atomic<int> returns{0};
};

// One replica: a store, and the budget of kToken as its dispatcher would hold it.
class Replica {
 public:
  Replica(const std::string& url, BudgetPolicy policy, const std::string& password = "",
          absl::Duration timeout = absl::Milliseconds(250)) {
    BudgetStoreOptions options;
    options.redis = *ParseRedisUrl(url);
    options.redis.password = password;
    options.redis.command_timeout = timeout;
    options.replicas = 2;
    store_ = std::make_unique<RedisBudgetStore>(
        options, policy, scheduler_, observer_, [this](LogLevel level, absl::string_view line) {
          absl::MutexLock lock(&mu_);
          log_.push_back(absl::StrCat(LogLevelName(level), " ", line));
        });
    budget_ = store_->Budgets()(kToken, [this] {
      absl::MutexLock lock(&mu_);
      ++wakes_;
    });
  }

  // How long a request of `lane` must wait, as its dispatcher would learn it
  // (asking again after each wake-up).
  absl::Duration Wait(Lane lane) {
    while (true) {
      int wakes = 0;
      {
        absl::MutexLock lock(&mu_);
        wakes = wakes_;
      }
      const absl::Time now = scheduler_.Now();
      const absl::Time at = budget_->NextSendTime(lane, now);
      if (at != absl::InfiniteFuture()) return at - now;
      absl::MutexLock lock(&mu_);
      auto woken = [this, wakes]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return wakes_ > wakes; };
      EXPECT_TRUE(mu_.AwaitWithTimeout(absl::Condition(&woken), kWait));
    }
  }

  // Sends as many requests of `lane` as the budget allows now.
  int SpendAll(Lane lane) {
    int sent = 0;
    while (Wait(lane) <= absl::ZeroDuration()) {
      budget_->Spend(scheduler_.Now());
      ++sent;
    }
    return sent;
  }

  bool WaitShared() {
    return WaitUntil([this] { return store_->shared(); }, kWait);
  }

  std::string Log() {
    absl::MutexLock lock(&mu_);
    return absl::StrJoin(log_, "\n");
  }

  TimerThreadScheduler scheduler_;
  StoreObserver observer_;

 private:
  absl::Mutex mu_;
  int wakes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);

 public:
  std::unique_ptr<RedisBudgetStore> store_;
  std::unique_ptr<Budget> budget_;
};

BudgetPolicy Policy() {
  BudgetPolicy policy;
  policy.max_requests = 10;
  policy.interval = absl::Seconds(10);
  policy.bulk_share = 0.8;
  return policy;
}

UpstreamAnswer RateLimited(AnswerOutcome limit) {
  UpstreamAnswer answer;
  answer.http_status = 429;
  answer.outcome = limit;
  answer.result = absl::ResourceExhaustedError("429");
  return answer;
}

// Each test has its own redis-server.
class RedisBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
  }

  // A replica of this Redis, already sharing its budget.
  std::unique_ptr<Replica> SharedReplica(absl::Duration timeout = absl::Milliseconds(250)) {
    auto replica = std::make_unique<Replica>(redis_->url(), Policy(), "", timeout);
    EXPECT_TRUE(replica->WaitShared());
    return replica;
  }

  std::unique_ptr<RedisServer> redis_;
};

TEST_F(RedisBudgetTest, ReplicasShareOneWindowAndTheBulkShare) {
  auto a = SharedReplica();
  auto b = SharedReplica();
  // Bulk takes 8 of the 10, whichever replica asks; interactive the last 2.
  EXPECT_EQ(a->SpendAll(Lane::kBulk) + b->SpendAll(Lane::kBulk), 8);
  EXPECT_EQ(b->SpendAll(Lane::kInteractive) + a->SpendAll(Lane::kInteractive), 2);
  // The next slot opens when the first requests leave the window.
  EXPECT_GT(a->Wait(Lane::kInteractive), absl::Seconds(5));
  EXPECT_GT(a->observer_.reservations.load(), 0);
  EXPECT_EQ(a->observer_.fallbacks.load(), 0);
}

TEST_F(RedisBudgetTest, KeysAreAHashOfTheTokenNeverTheToken) {
  auto a = SharedReplica();
  ASSERT_EQ(a->SpendAll(Lane::kInteractive), 10);
  absl::StatusOr<std::string> keys = redis_->Command({"KEYS", "*"});
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(*keys, RedisBudgetStore::KeyOf(kToken));
  EXPECT_EQ(keys->size(), std::string("hubspot-gateway:budget:").size() + 64);
  EXPECT_THAT(*keys, Not(HasSubstr("REDIS-TEST-TOKEN")));
}

TEST_F(RedisBudgetTest, ARollingLimitOnOneReplicaLowersTheLimitOfAll) {
  auto a = SharedReplica();
  auto b = SharedReplica();
  std::vector<BudgetTicket> tickets;
  for (int i = 0; i < 5; ++i) {
    ASSERT_LE(a->Wait(Lane::kInteractive), absl::ZeroDuration());
    tickets.push_back(a->budget_->Spend(a->scheduler_.Now()));
  }
  a->budget_->Observe(RateLimited(AnswerOutcome::kRollingLimit), a->scheduler_.Now(),
                      tickets.back());
  // HubSpot held the 4 before the rejected one.
  const std::string key = RedisBudgetStore::KeyOf(kToken);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return redis_->Command({"HGET", key, "limit"}).value_or("") == "4";
      },
      kWait));
  EXPECT_GT(b->Wait(Lane::kInteractive), absl::ZeroDuration());
  EXPECT_EQ(b->budget_->effective_limit(), 4);
}

TEST_F(RedisBudgetTest, WithoutHeadersSuccessesRaiseTheSharedLimitUntilARollingLimit) {
  auto a = SharedReplica();
  auto b = SharedReplica();
  std::vector<BudgetTicket> tickets;
  for (int i = 0; i < 10; ++i) {
    ASSERT_LE(a->Wait(Lane::kInteractive), absl::ZeroDuration());
    tickets.push_back(a->budget_->Spend(a->scheduler_.Now()));
  }
  EXPECT_GT(b->Wait(Lane::kInteractive), absl::ZeroDuration());
  UpstreamAnswer ok;
  ok.http_status = 204;
  for (const BudgetTicket& ticket : tickets) {
    a->budget_->Observe(ok, a->scheduler_.Now(), ticket);
  }
  // Slow start: one more per success while the window was half used.
  const std::string key = RedisBudgetStore::KeyOf(kToken);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return redis_->Command({"HGET", key, "limit"}).value_or("") == "20";
      },
      kWait));
  // Another replica (b was told to wait, and asks again only then) finds the room.
  auto c = SharedReplica();
  BudgetTicket last;
  for (int i = 0; i < 10; ++i) {
    ASSERT_LE(c->Wait(Lane::kInteractive), absl::ZeroDuration());
    last = c->budget_->Spend(c->scheduler_.Now());
  }
  EXPECT_GT(c->Wait(Lane::kInteractive), absl::ZeroDuration());
  // A 429 shows the real limit: what the window held before it; no more slow start.
  c->budget_->Observe(RateLimited(AnswerOutcome::kRollingLimit), c->scheduler_.Now(), last);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return redis_->Command({"HGET", key, "discovered"}).value_or("") == "1";
      },
      kWait));
  EXPECT_EQ(redis_->Command({"HGET", key, "limit"}).value_or(""), "19");
}

TEST_F(RedisBudgetTest, ADailyLimitOnOneReplicaStopsAll) {
  auto a = SharedReplica();
  auto b = SharedReplica();
  ASSERT_LE(a->Wait(Lane::kInteractive), absl::ZeroDuration());
  a->budget_->Observe(RateLimited(AnswerOutcome::kDailyLimit), a->scheduler_.Now(),
                      a->budget_->Spend(a->scheduler_.Now()));
  EXPECT_TRUE(a->budget_->DailyExhausted(a->scheduler_.Now()));
  const std::string key = RedisBudgetStore::KeyOf(kToken);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return redis_->Command({"HGET", key, "daily"}).value_or("0") != "0";
      },
      kWait));
  EXPECT_GT(b->Wait(Lane::kInteractive), absl::Seconds(30));
  EXPECT_TRUE(b->budget_->DailyExhausted(b->scheduler_.Now()));
}

TEST_F(RedisBudgetTest, RedisDownFallsBackToALocalShareAndReturns) {
  auto a = SharedReplica();
  for (int i = 0; i < 3; ++i) {
    ASSERT_LE(a->Wait(Lane::kInteractive), absl::ZeroDuration());
    a->budget_->Spend(a->scheduler_.Now());
  }
  redis_->Kill();
  ASSERT_TRUE(WaitUntil([&] { return a->observer_.fallbacks.load() == 1; }, kWait));
  // Locally: 10 / 2 replicas, and the 3 just sent count already.
  EXPECT_EQ(a->SpendAll(Lane::kInteractive), 2);
  EXPECT_THAT(a->Log(), HasSubstr("WARNING budget store: "));
  EXPECT_THAT(a->Log(), HasSubstr("falls back to a local budget"));

  ASSERT_TRUE(redis_->Restart().ok());
  // Told once when it first answered, once now.
  ASSERT_TRUE(WaitUntil([&] { return a->observer_.returns.load() == 2; }, kWait));
  EXPECT_THAT(a->Log(), HasSubstr("INFO budget store: Redis at "));
  EXPECT_THAT(a->Log(), HasSubstr("answers; replicas share"));
  // Redis restarted empty (its script cache too): the shared budget is fresh.
  const int before = a->observer_.reservations.load();
  EXPECT_LE(a->Wait(Lane::kInteractive), absl::ZeroDuration());
  EXPECT_GT(a->observer_.reservations.load(), before);
  EXPECT_GE(a->observer_.errors.load(), 1);
}

TEST_F(RedisBudgetTest, SlowRedisCountsAsDown) {
  auto a = SharedReplica(absl::Milliseconds(100));
  // Redis answers nothing for 2 s: the reservation gives up, the budget plans locally.
  ASSERT_TRUE(redis_->Command({"CLIENT", "PAUSE", "2000"}).ok());
  EXPECT_LE(a->Wait(Lane::kInteractive), absl::ZeroDuration());
  ASSERT_TRUE(WaitUntil([&] { return a->observer_.fallbacks.load() == 1; }, kWait));
  EXPECT_THAT(a->Log(), HasSubstr("did not answer within 100ms"));
  ASSERT_TRUE(WaitUntil([&] { return a->observer_.returns.load() == 2; }, kWait));
}

// How many lines of `log` contain `text`.
int LinesWith(const std::string& log, absl::string_view text) {
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) lines += absl::StrContains(line, text);
  return lines;
}

// Issue 21, defect 7: Redis answering the script with an error is the store
// failing, as much as Redis being down: the budget plans locally, the gauge
// says so, one line is logged however many reservations fail, and the shared
// budget returns once Redis runs the script again.
TEST_F(RedisBudgetTest, OutOfMemoryRepliesFallBackLogOnceAndReturn) {
  auto a = SharedReplica();
  ASSERT_LE(a->Wait(Lane::kInteractive), absl::ZeroDuration());
  ASSERT_TRUE(redis_->Command({"CONFIG", "SET", "maxmemory-policy", "noeviction"}).ok());
  ASSERT_TRUE(redis_->Command({"CONFIG", "SET", "maxmemory", "1"}).ok());
  // The reservation fails (OOM): locally, 10 / 2 replicas.
  EXPECT_EQ(a->SpendAll(Lane::kInteractive), 5);
  ASSERT_TRUE(WaitUntil([&] { return a->observer_.fallbacks.load() == 1; }, kWait));
  EXPECT_FALSE(a->store_->shared());
  // Reservations keep failing while it lasts; the log has one line of them.
  ASSERT_TRUE(WaitUntil(
      [&] {
        a->Wait(Lane::kInteractive);
        return a->observer_.errors.load() >= 3;
      },
      kWait));
  EXPECT_EQ(
      LinesWith(a->Log(), "WARNING budget store: Redis answered the budget script with an error"),
      1)
      << a->Log();
  EXPECT_THAT(a->Log(), HasSubstr("OOM"));
  EXPECT_EQ(LinesWith(a->Log(), "budget store:"), 2) << a->Log();  // Up, then the error.
  EXPECT_EQ(a->observer_.fallbacks.load(), 1);

  ASSERT_TRUE(redis_->Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        a->Wait(Lane::kInteractive);
        return a->observer_.returns.load() == 2;
      },
      kWait));
  EXPECT_TRUE(a->store_->shared());
  EXPECT_THAT(a->Log(), HasSubstr("INFO budget store: Redis runs the budget script again"));
}

TEST_F(RedisBudgetTest, ReadOnlyRepliesFallBack) {
  auto a = SharedReplica();
  ASSERT_LE(a->Wait(Lane::kInteractive), absl::ZeroDuration());
  // A replica of a master that is not there: every write is refused.
  absl::StatusOr<std::unique_ptr<RedisServer>> gone = RedisServer::Start();
  ASSERT_TRUE(gone.ok()) << gone.status();
  const int gone_port = (*gone)->port();
  (*gone)->Kill();
  ASSERT_TRUE(redis_->Command({"REPLICAOF", "127.0.0.1", absl::StrCat(gone_port)}).ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        a->Wait(Lane::kInteractive);
        return absl::StrContains(a->Log(), "READONLY");
      },
      kWait));
  EXPECT_EQ(LinesWith(a->Log(), "READONLY"), 1) << a->Log();
  EXPECT_FALSE(a->store_->shared());
  EXPECT_GE(a->observer_.fallbacks.load(), 1);
  // Locally: 10 / 2 replicas.
  EXPECT_EQ(a->SpendAll(Lane::kInteractive), 5);
  ASSERT_TRUE(redis_->Command({"REPLICAOF", "NO", "ONE"}).ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        a->Wait(Lane::kInteractive);
        return a->store_->shared() && absl::StrContains(a->Log(), "runs the budget script again");
      },
      kWait));
}

TEST_F(RedisBudgetTest, AFlushedScriptIsSentAgainWithoutFallingBack) {
  auto a = SharedReplica();
  ASSERT_LE(a->Wait(Lane::kInteractive), absl::ZeroDuration());
  a->budget_->Spend(a->scheduler_.Now());
  ASSERT_TRUE(redis_->Command({"SCRIPT", "FLUSH"}).ok());
  // EVALSHA answers NOSCRIPT; the script itself goes once, and is cached again.
  EXPECT_EQ(a->SpendAll(Lane::kInteractive), 9);
  EXPECT_EQ(a->observer_.errors.load(), 0);
  EXPECT_EQ(a->observer_.fallbacks.load(), 0);
  EXPECT_TRUE(a->store_->shared());
  EXPECT_THAT(a->Log(), Not(HasSubstr("NOSCRIPT")));
}

// Redis's clock, in Unix seconds.
int64_t RedisSeconds(RedisServer& redis) {
  absl::StatusOr<std::string> time = redis.Command({"TIME"});
  int64_t seconds = 0;
  EXPECT_TRUE(time.ok() &&
              absl::SimpleAtoi(std::vector<std::string>(absl::StrSplit(*time, '\n'))[0], &seconds));
  return seconds;
}

// Issue 21, defect 8: a daily stop (and a pause) a day ahead in the store
// holds the token at most --max_retry_after, and the budget says the store
// holds it.
TEST_F(RedisBudgetTest, AStoredStopADayAheadHoldsAtMostMaxRetryAfter) {
  const std::string key = RedisBudgetStore::KeyOf(kToken);
  const int64_t seconds = RedisSeconds(*redis_);
  const std::string day_ahead = absl::StrCat((seconds + 86400) * 1000);
  ASSERT_TRUE(redis_->Command({"HSET", key, "daily", day_ahead, "paused", day_ahead}).ok());
  auto b = SharedReplica();
  const absl::Duration wait = b->Wait(Lane::kInteractive);
  EXPECT_GT(wait, absl::ZeroDuration());
  EXPECT_LE(wait, Policy().max_pause);
  EXPECT_TRUE(b->budget_->DailyExhausted(b->scheduler_.Now()));
  EXPECT_TRUE(b->budget_->HeldByStore(b->scheduler_.Now()));
  // Written back bounded too.
  int64_t daily = 0;
  ASSERT_TRUE(absl::SimpleAtoi(redis_->Command({"HGET", key, "daily"}).value_or(""), &daily));
  EXPECT_LE(daily, (seconds + 61) * 1000);
}

// Values that are not numbers read as absent; a bucket that is not a number
// goes; none of them makes the script fail.
TEST_F(RedisBudgetTest, GarbageInTheStoreReadsAsAbsent) {
  const std::string key = RedisBudgetStore::KeyOf(kToken);
  const int64_t seconds = RedisSeconds(*redis_);
  ASSERT_TRUE(redis_
                  ->Command({"HSET", key, "limit", "abc", "ceiling", "nan", "total", "-5",
                             "last_raise", absl::StrCat((seconds + 86400) * 1000), "raise_ms", "0",
                             "bxyz", "1", absl::StrCat("b", seconds * 10), "2.5"})
                  .ok());
  auto b = SharedReplica();
  // The configured 10, 2 of them used in the bucket that said 2.5.
  EXPECT_EQ(b->SpendAll(Lane::kInteractive), 8);
  EXPECT_EQ(b->budget_->effective_limit(), 10);
  EXPECT_EQ(b->observer_.errors.load(), 0);
  EXPECT_EQ(b->observer_.fallbacks.load(), 0);
  EXPECT_EQ(redis_->Command({"HEXISTS", key, "bxyz"}).value_or(""), "0");
}

TEST(RedisBudgetAuthTest, ThePasswordIsSentAndNeverLogged) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start("s3cret-redis-pw");
  ASSERT_TRUE(redis.ok()) << redis.status();
  Replica right((*redis)->url(), Policy(), "s3cret-redis-pw");
  ASSERT_TRUE(right.WaitShared());
  EXPECT_LE(right.Wait(Lane::kInteractive), absl::ZeroDuration());
  Replica wrong((*redis)->url(), Policy(), "wrong-redis-pw");
  ASSERT_TRUE(WaitUntil([&] { return wrong.observer_.fallbacks.load() == 1; }, kWait));
  EXPECT_FALSE(wrong.store_->shared());
  EXPECT_THAT(wrong.Log(), HasSubstr("Redis refused AUTH"));
  for (const std::string& log : {right.Log(), wrong.Log()}) {
    EXPECT_THAT(log, Not(HasSubstr("redis-pw")));
    EXPECT_THAT(log, Not(HasSubstr("REDIS-TEST-TOKEN")));
  }
}

}  // namespace
}  // namespace hubspot_gateway
