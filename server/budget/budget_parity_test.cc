// The budget algorithm is written twice: TokenBudget in C++ for one process,
// budget_script.lua for replicas sharing Redis. This test holds them to the
// same decisions: the same scripted reservations and answers (successes with
// and without rate-limit headers, Remaining that counts other clients,
// rolling-limit 429s with and without Retry-After, DAILY 429s, a daily
// budget running out and coming back, failures with no answer) go to a
// TokenBudget and to a real redis-server running the script, and every
// reservation must get the same answer from both: allowed now or not, how
// long to wait, the limit planned with, and whether the daily limit stops it.
//
// Requests are answered one at a time: probing past the known level (how
// many requests one process keeps in flight) is TokenBudget's alone.
#include <memory>
#include <random>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/budget/redis_budget.h"
#include "server/budget/token_budget.h"
#include "server/redis/redis_url.h"
#include "tests/fakes/manual_scheduler.h"
#include "tests/testing/polling.h"
#include "tests/testing/redis_server.h"

namespace hubspot_gateway {
namespace {

using ::hubspot_gateway::testing::RedisServer;
using ::hubspot_gateway::testing::WaitUntil;

constexpr char kKey[] = "hubspot-gateway:budget:parity";

// What a budget answers one reservation.
struct Decision {
  bool granted = false;
  absl::Duration wait;
  int limit = 0;
  bool daily_exhausted = false;

  std::string ToString() const {
    return absl::StrCat(granted ? "granted" : "refused", ", wait ", absl::FormatDuration(wait),
                        ", limit ", limit, daily_exhausted ? ", daily limit reached" : "");
  }
  bool operator==(const Decision& other) const {
    return granted == other.granted && wait == other.wait && limit == other.limit &&
           daily_exhausted == other.daily_exhausted;
  }
};

// `discover`: raise the limit while HubSpot advertises none (both must do it alike).
BudgetPolicy Policy(bool discover) {
  BudgetPolicy policy;
  policy.discover = discover;
  policy.max_requests = 40;
  policy.interval = absl::Seconds(10);
  policy.bulk_share = 0.8;
  policy.max_pause = absl::Seconds(30);
  return policy;
}

// One TokenBudget and the script in Redis, fed the same steps at the same
// times (the store plans on the test's clock, not on Redis's).
class Twins {
 public:
  Twins(const std::string& url, bool discover) : local_(Policy(discover)) {
    BudgetStoreOptions options;
    options.redis = *ParseRedisUrl(url);
    options.redis.command_timeout = absl::Seconds(10);
    options.plan_with_redis_clock = false;
    store_ = std::make_unique<RedisBudgetStore>(options, Policy(discover), clock_, observer_,
                                                [](LogLevel, absl::string_view) {});
  }

  bool WaitShared() {
    return WaitUntil([this] { return store_->shared(); }, absl::Seconds(10));
  }

  void AdvanceBy(absl::Duration by) { clock_.AdvanceBy(by); }

  // Asks both for a request of `lane` now; each sends it when allowed.
  std::pair<Decision, Decision> Reserve(Lane lane) {
    const absl::Time now = clock_.Now();
    Decision local;
    const absl::Time at = local_.NextSendTime(lane, now);
    local.granted = at <= now;
    local.wait = local.granted ? absl::ZeroDuration() : at - now;
    local.limit = local_.effective_limit();
    local.daily_exhausted = local_.DailyExhausted(now);
    if (local.granted) local_ticket_ = local_.Spend(now);

    Decision shared;
    absl::Notification answered;
    const bool sent =
        store_->Reserve(kKey, lane, [&](absl::StatusOr<StoreReservation> reservation) {
          EXPECT_TRUE(reservation.ok()) << reservation.status();
          if (reservation.ok()) {
            shared.granted = reservation->granted;
            shared.wait = reservation->wait;
            shared.limit = reservation->limit;
            shared.daily_exhausted = reservation->daily > absl::ZeroDuration();
            shared_ticket_.store_sequence = reservation->sequence;
            shared_ticket_.store_sent_ms = reservation->sent_ms;
          }
          answered.Notify();
        });
    EXPECT_TRUE(sent);
    EXPECT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(10)));
    return {local, shared};
  }

  // Both learn `answer` to the request each last sent.
  void Observe(const UpstreamAnswer& answer) {
    local_.Observe(answer, clock_.Now(), local_ticket_);
    store_->Observe(kKey, answer, shared_ticket_);
  }

 private:
  ManualScheduler clock_;
  BudgetStoreObserver observer_;
  TokenBudget local_;
  std::unique_ptr<RedisBudgetStore> store_;
  BudgetTicket local_ticket_;
  BudgetTicket shared_ticket_;
};

UpstreamAnswer Success(int status) {
  UpstreamAnswer answer;
  answer.http_status = status;
  return answer;
}

UpstreamAnswer TooManyRequests(AnswerOutcome limit) {
  UpstreamAnswer answer;
  answer.http_status = 429;
  answer.outcome = limit;
  answer.result = absl::ResourceExhaustedError("429");
  return answer;
}

// A random answer of the kinds HubSpot (or the network) gives.
UpstreamAnswer RandomAnswer(std::mt19937& random) {
  std::uniform_int_distribution<int> percent(0, 99);
  const int kind = percent(random);
  UpstreamAnswer answer;
  if (kind < 70) {
    answer = Success(percent(random) < 50 ? 204 : 200);
  } else if (kind < 82) {
    answer = TooManyRequests(AnswerOutcome::kRollingLimit);
  } else if (kind < 85) {
    answer = TooManyRequests(AnswerOutcome::kDailyLimit);
  } else if (kind < 95) {
    answer = Success(503);
  } else {
    answer = Success(0);  // No answer: the connection dropped.
  }
  if (answer.http_status == 429 && percent(random) < 60) {
    answer.retry_after = absl::Milliseconds(std::uniform_int_distribution<int>(0, 4000)(random));
  }
  if (answer.http_status != 0 && percent(random) < 50) {
    // Headers: a Max that moves now and then, a Remaining that may count
    // what other clients spent, and rarely a daily budget at its end.
    static constexpr int kMaxima[] = {40, 40, 40, 30, 60};
    const int max = kMaxima[std::uniform_int_distribution<int>(0, 4)(random)];
    answer.rate_limit.max = max;
    answer.rate_limit.remaining = std::uniform_int_distribution<int>(0, max)(random);
    const int daily = percent(random);
    if (daily < 3) {
      answer.rate_limit.daily_remaining = 0;
    } else if (daily < 20) {
      answer.rate_limit.daily_remaining = 5000;
    }
  }
  return answer;
}

// A seed, and whether the limit is discovered.
class BudgetParityTest : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(BudgetParityTest, TokenBudgetAndTheScriptDecideAlike) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const auto [seed, discover] = GetParam();
  Twins twins((*redis)->url(), discover);
  ASSERT_TRUE(twins.WaitShared());
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> percent(0, 99);
  int granted = 0;
  int refused = 0;
  for (int step = 0; step < 1500; ++step) {
    const int pace = percent(random);
    if (pace < 60) {
      twins.AdvanceBy(absl::Milliseconds(std::uniform_int_distribution<int>(0, 60)(random)));
    } else if (pace < 95) {
      twins.AdvanceBy(absl::Milliseconds(std::uniform_int_distribution<int>(60, 1500)(random)));
    } else {
      twins.AdvanceBy(absl::Milliseconds(std::uniform_int_distribution<int>(1500, 12000)(random)));
    }
    const Lane lane = percent(random) < 70 ? Lane::kBulk : Lane::kInteractive;
    const auto [local, shared] = twins.Reserve(lane);
    ASSERT_EQ(local, shared) << "step " << step << " (" << LaneName(lane) << "): TokenBudget "
                             << local.ToString() << "; the script " << shared.ToString();
    if (!local.granted) {
      ++refused;
      continue;
    }
    ++granted;
    // The answer comes back after a latency of its own.
    twins.AdvanceBy(absl::Milliseconds(std::uniform_int_distribution<int>(0, 2000)(random)));
    twins.Observe(RandomAnswer(random));
  }
  std::cout << "seed " << seed << (discover ? " (discovering)" : "") << ": " << granted
            << " granted, " << refused << " refused, all decided alike\n";
  // The script exercised both paths.
  EXPECT_GT(granted, 100);
  EXPECT_GT(refused, 100);
}

INSTANTIATE_TEST_SUITE_P(Seeds, BudgetParityTest,
                         ::testing::Combine(::testing::Values(1, 2, 3, 4, 5), ::testing::Bool()));

// A scripted story, step by step, with the figures each step must give.
class BudgetParityStoryTest : public ::testing::Test {
 protected:
  void Start(bool discover) {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    twins_ = std::make_unique<Twins>(redis_->url(), discover);
    ASSERT_TRUE(twins_->WaitShared());
  }

  // Reserves on both; they must decide alike.
  Decision ExpectAlike(Lane lane) {
    const auto [local, shared] = twins_->Reserve(lane);
    EXPECT_EQ(local, shared) << "TokenBudget " << local.ToString() << "; the script "
                             << shared.ToString();
    return local;
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<Twins> twins_;
};

TEST_F(BudgetParityStoryTest, FillsTheWindowLearnsA429PausesAndStopsForTheDay) {
  ASSERT_NO_FATAL_FAILURE(Start(/*discover=*/false));
  Twins& twins = *twins_;
  auto expect_alike = [this](Lane lane) { return ExpectAlike(lane); };
  // Bulk work stops at 80% of 40; interactive work goes on to 40.
  for (int i = 0; i < 32; ++i) {
    ASSERT_TRUE(expect_alike(Lane::kBulk).granted) << i;
    twins.Observe(Success(200));
    twins.AdvanceBy(absl::Milliseconds(100));
  }
  EXPECT_FALSE(expect_alike(Lane::kBulk).granted);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(expect_alike(Lane::kInteractive).granted) << i;
    twins.Observe(Success(204));
  }
  const Decision full = expect_alike(Lane::kInteractive);
  EXPECT_FALSE(full.granted);
  EXPECT_GT(full.wait, absl::ZeroDuration());
  // A rolling-limit 429 with Retry-After: the limit drops to what the window
  // held, and nothing goes before the pause ends.
  twins.AdvanceBy(absl::Seconds(11));
  ASSERT_TRUE(expect_alike(Lane::kInteractive).granted);
  UpstreamAnswer rolling = TooManyRequests(AnswerOutcome::kRollingLimit);
  rolling.retry_after = absl::Seconds(2);
  twins.Observe(rolling);
  const Decision paused = expect_alike(Lane::kInteractive);
  EXPECT_FALSE(paused.granted);
  EXPECT_EQ(paused.wait, absl::Seconds(2));
  EXPECT_EQ(paused.limit, 4);  // A tenth of the ceiling: the window was empty.
  // The limit climbs back by one per interval.
  twins.AdvanceBy(absl::Seconds(20));
  EXPECT_EQ(expect_alike(Lane::kInteractive).limit, 6);
  twins.Observe(Success(200));
  // Remaining says others spent the window: both count them.
  UpstreamAnswer others = Success(200);
  others.rate_limit.max = 40;
  others.rate_limit.remaining = 0;
  ASSERT_TRUE(expect_alike(Lane::kInteractive).granted);
  twins.Observe(others);
  EXPECT_FALSE(expect_alike(Lane::kInteractive).granted);
  // The daily budget runs out: everything stops for --max_retry_after.
  twins.AdvanceBy(absl::Seconds(11));
  ASSERT_TRUE(expect_alike(Lane::kInteractive).granted);
  twins.Observe(TooManyRequests(AnswerOutcome::kDailyLimit));
  const Decision daily = expect_alike(Lane::kInteractive);
  EXPECT_TRUE(daily.daily_exhausted);
  EXPECT_EQ(daily.wait, absl::Seconds(30));
}

// Without headers: successes raise the limit alike, and a 429 ends it alike.
TEST_F(BudgetParityStoryTest, DiscoversALimitHubSpotDoesNotAdvertise) {
  ASSERT_NO_FATAL_FAILURE(Start(/*discover=*/true));
  Twins& twins = *twins_;
  auto expect_alike = [this](Lane lane) { return ExpectAlike(lane); };
  // 40 at first; from the 20th success on (the window half used), each raises it by one.
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(expect_alike(Lane::kInteractive).granted) << i;
    twins.Observe(Success(204));
  }
  EXPECT_EQ(expect_alike(Lane::kInteractive).limit, 61);
  twins.Observe(Success(204));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(expect_alike(Lane::kInteractive).granted) << i;
    twins.Observe(i < 9 ? Success(204) : TooManyRequests(AnswerOutcome::kRollingLimit));
  }
  // The 429 came with 50 in the window: that is the limit now, and it stays.
  const Decision after = expect_alike(Lane::kInteractive);
  EXPECT_EQ(after.limit, 50);
  EXPECT_FALSE(after.granted);
  twins.AdvanceBy(absl::Seconds(11));
  EXPECT_TRUE(expect_alike(Lane::kInteractive).granted);
  twins.Observe(Success(204));
  EXPECT_EQ(expect_alike(Lane::kInteractive).limit, 51);  // One interval later: one more.
  twins.Observe(Success(204));
  // And no further until a whole window is accepted at 51.
  twins.AdvanceBy(absl::Seconds(30));
  EXPECT_EQ(expect_alike(Lane::kInteractive).limit, 51);
}

// Past every HubSpot tier (300 per 10 s), both stop pacing until a 429.
TEST_F(BudgetParityStoryTest, StopsPacingPastEveryTierUntilA429) {
  ASSERT_NO_FATAL_FAILURE(Start(/*discover=*/true));
  Twins& twins = *twins_;
  int sent = 0;
  Decision last;
  for (; sent < 400; ++sent) {
    last = ExpectAlike(Lane::kInteractive);
    ASSERT_TRUE(last.granted) << sent;
    twins.Observe(Success(204));
    if (last.limit == 0) break;
  }
  EXPECT_EQ(last.limit, 0);
  EXPECT_EQ(sent, 301);  // The 302nd request went with the window holding 301.
  ASSERT_TRUE(ExpectAlike(Lane::kInteractive).granted);
  twins.Observe(TooManyRequests(AnswerOutcome::kRollingLimit));
  const Decision after = ExpectAlike(Lane::kInteractive);
  EXPECT_EQ(after.limit, 302);
  EXPECT_FALSE(after.granted);
}

}  // namespace
}  // namespace hubspot_gateway
