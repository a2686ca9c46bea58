#include "server/budget/token_budget.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1772366400);
// A 10 s window is kept 2% + 10 ms longer, and counted in 100 ms buckets.
const absl::Duration kGuard = absl::Milliseconds(210);
const absl::Duration kBucket = absl::Milliseconds(100);

BudgetPolicy Policy(int max_requests) {
  BudgetPolicy policy;
  policy.max_requests = max_requests;
  policy.interval = absl::Seconds(10);
  policy.bulk_share = 0.8;
  policy.max_pause = absl::Seconds(60);
  return policy;
}

UpstreamAnswer Answer(int status, RateLimitHeaders headers = {}) {
  UpstreamAnswer answer;
  answer.http_status = status;
  answer.rate_limit = headers;
  return answer;
}

UpstreamAnswer RateLimited(AnswerOutcome limit,
                           std::optional<absl::Duration> retry_after = std::nullopt) {
  UpstreamAnswer answer = Answer(429);
  answer.outcome = limit;
  answer.retry_after = retry_after;
  return answer;
}

void SpendMany(TokenBudget& budget, int count, absl::Time at) {
  for (int i = 0; i < count; ++i) budget.Spend(at);
}

// Sends every request `budget` allows at `at`, answers them all 204, and
// returns how many went.
int SendAndAcceptARound(TokenBudget& budget, Lane lane, absl::Time at) {
  std::vector<TokenBudget::Ticket> sent;
  while (budget.NextSendTime(lane, at) == at && sent.size() < 10000) {
    sent.push_back(budget.Spend(at));
  }
  for (const TokenBudget::Ticket& ticket : sent) budget.Observe(Answer(204), at, ticket);
  return static_cast<int>(sent.size());
}

TEST(TokenBudgetTest, SendsAtOnceUntilTheWindowIsFullThenWhenItsOldestBucketLeaves) {
  TokenBudget budget(Policy(3));
  EXPECT_EQ(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  budget.Spend(kStart);
  SpendMany(budget, 2, kStart + absl::Seconds(1));
  EXPECT_EQ(budget.UsedAt(kStart + absl::Seconds(1)), 3);
  // The request sent at kStart leaves with its bucket, kept 210 ms longer.
  EXPECT_EQ(budget.NextSendTime(Lane::kInteractive, kStart + absl::Seconds(1)),
            kStart + kBucket + absl::Seconds(10) + kGuard);
  EXPECT_EQ(budget.UsedAt(kStart + kBucket + absl::Seconds(10) + kGuard), 2);
}

TEST(TokenBudgetTest, BulkNeverTakesTheInteractiveShareOfTheWindow) {
  TokenBudget budget(Policy(10));
  SpendMany(budget, 8, kStart);
  EXPECT_GT(budget.NextSendTime(Lane::kBulk, kStart), kStart);
  EXPECT_EQ(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  SpendMany(budget, 2, kStart);
  EXPECT_GT(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
}

TEST(TokenBudgetTest, HeadersReplanUpAndDown) {
  TokenBudget budget(Policy(190));
  SpendMany(budget, 190, kStart);
  EXPECT_GT(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  RateLimitHeaders more;
  more.max = 1000;
  more.interval = absl::Seconds(10);
  budget.Observe(Answer(204, more), kStart, TokenBudget::Ticket{0, kStart, false});
  EXPECT_EQ(budget.effective_limit(), 1000);
  EXPECT_EQ(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  RateLimitHeaders fewer;
  fewer.max = 100;
  budget.Observe(Answer(204, fewer), kStart, TokenBudget::Ticket{0, kStart, false});
  EXPECT_EQ(budget.effective_limit(), 100);
  EXPECT_GT(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
}

TEST(TokenBudgetTest, RemainingCountsWhatOtherClientsSpent) {
  TokenBudget budget(Policy(10));
  SpendMany(budget, 2, kStart);
  RateLimitHeaders headers;
  headers.max = 10;
  headers.remaining = 1;  // 9 used: 7 by someone else.
  budget.Observe(Answer(204, headers), kStart, TokenBudget::Ticket{0, kStart, false});
  EXPECT_EQ(budget.UsedAt(kStart), 9);
  EXPECT_EQ(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  budget.Spend(kStart);
  EXPECT_GT(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
}

TEST(TokenBudgetTest, RollingLimitLowersTheLimitToWhatTheWindowHeldThenClimbsBack) {
  BudgetPolicy configured = Policy(190);
  configured.discover = false;  // 190 is the ceiling.
  TokenBudget budget(configured);
  SpendMany(budget, 160, kStart);  // The 151st drew the first 429.
  budget.Observe(RateLimited(AnswerOutcome::kRollingLimit), kStart,
                 TokenBudget::Ticket{151, kStart});
  EXPECT_EQ(budget.effective_limit(), 150);
  // No Retry-After: no pause, the lowered limit paces.
  EXPECT_GT(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  const absl::Time later = kStart + absl::Seconds(35);
  EXPECT_EQ(budget.NextSendTime(Lane::kInteractive, later), later);
  EXPECT_EQ(budget.effective_limit(), 153);  // One per interval.
  // Headers advertising more do not undo what the 429 taught.
  RateLimitHeaders headers;
  headers.max = 190;
  budget.Observe(Answer(204, headers), later, TokenBudget::Ticket{0, later, false});
  EXPECT_EQ(budget.effective_limit(), 153);
}

TEST(TokenBudgetTest, RollingLimitCountsOnlyWhatTheWindowHeldBeforeTheRejectedRequest) {
  TokenBudget budget(Policy(190));
  SpendMany(budget, 50, kStart);  // These leave the window before the 429.
  SpendMany(budget, 100, kStart + absl::Seconds(5));
  const absl::Time sent = kStart + absl::Seconds(12);
  const TokenBudget::Ticket rejected = budget.Spend(sent);
  SpendMany(budget, 5, sent);  // Sent after it, in the same bucket: not held before it.
  budget.Observe(RateLimited(AnswerOutcome::kRollingLimit), sent + absl::Milliseconds(50),
                 rejected);
  EXPECT_EQ(budget.effective_limit(), 100);
}

TEST(TokenBudgetTest, RollingLimitWithNothingRemainingWaitsForTheWindowOthersFilled) {
  TokenBudget budget(Policy(190));
  RateLimitHeaders advertised;
  advertised.max = 190;
  budget.Observe(Answer(204, advertised), kStart, TokenBudget::Ticket{0, kStart, false});
  // Another replica spent the window; this one sent 10 when the 429 came.
  SpendMany(budget, 9, kStart);
  const TokenBudget::Ticket rejected = budget.Spend(kStart);
  UpstreamAnswer limited = RateLimited(AnswerOutcome::kRollingLimit);
  limited.rate_limit.max = 190;
  limited.rate_limit.remaining = 0;
  budget.Observe(limited, kStart + absl::Milliseconds(5), rejected);
  EXPECT_EQ(budget.effective_limit(), 19);
  // The window is full as HubSpot counts it: no request before it rolls.
  EXPECT_GE(budget.NextSendTime(Lane::kInteractive, kStart + absl::Milliseconds(5)),
            kStart + absl::Seconds(10));
}

TEST(TokenBudgetTest, RollingLimitNeverFallsBelowATenthOfTheCeiling) {
  TokenBudget budget(Policy(190));
  const TokenBudget::Ticket first = budget.Spend(kStart);  // Others had filled the window.
  budget.Observe(RateLimited(AnswerOutcome::kRollingLimit), kStart, first);
  EXPECT_EQ(budget.effective_limit(), 19);
}

TEST(TokenBudgetTest, PastTheConfiguredLevelRequestsProbeFewAtATimeOneMorePerAcceptedProbe) {
  TokenBudget budget(Policy(150));
  RateLimitHeaders advertised;
  advertised.max = 190;
  budget.Observe(Answer(204, advertised), kStart, TokenBudget::Ticket{0, kStart});
  SpendMany(budget, 150, kStart);
  // One probe past the level known to be accepted, then wait for its answer.
  EXPECT_EQ(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  const TokenBudget::Ticket probe = budget.Spend(kStart);
  EXPECT_TRUE(probe.probe);
  EXPECT_GT(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  budget.Observe(Answer(204), kStart, probe);
  // Accepted: one more may be in flight now.
  const TokenBudget::Ticket second = budget.Spend(kStart);
  EXPECT_EQ(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  const TokenBudget::Ticket third = budget.Spend(kStart);
  EXPECT_TRUE(second.probe);
  EXPECT_TRUE(third.probe);
  EXPECT_GT(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  // A 429 on a probe: back to what HubSpot held.
  budget.Observe(RateLimited(AnswerOutcome::kRollingLimit), kStart, third);
  EXPECT_EQ(budget.effective_limit(), 152);
}

TEST(TokenBudgetTest, ProbesInFlightAreFourAtMostWithinTheTiers) {
  TokenBudget budget(Policy(100));
  RateLimitHeaders advertised;
  advertised.max = 1000;
  budget.Observe(Answer(204, advertised), kStart, TokenBudget::Ticket{0, kStart});
  // The 100 known to be accepted, and one probe.
  ASSERT_EQ(SendAndAcceptARound(budget, Lane::kInteractive, kStart), 101);
  // Then round trips of 2, then 4 probes (a twenty-fifth of the level, 4 at
  // most) until it passes every HubSpot tier (300 per 10 s); then up to 64.
  std::vector<int> probes;
  while (budget.UsedAt(kStart) < 600) {
    const int level = budget.UsedAt(kStart);
    const int round = SendAndAcceptARound(budget, Lane::kInteractive, kStart);
    ASSERT_GT(round, 0);
    probes.push_back(round);
    if (level <= 300) {
      EXPECT_LE(round, std::clamp(level / 25, 1, 4)) << "at " << level;
    }
  }
  ASSERT_GE(probes.size(), 3u);
  EXPECT_EQ(probes[0], 2);
  EXPECT_EQ(probes[1], 4);
  EXPECT_EQ(probes[2], 4);
  EXPECT_EQ(*std::max_element(probes.begin(), probes.end()), 64);
}

TEST(TokenBudgetTest, WithoutHeadersAWindowPastEveryTierEndsThePacingUntilA429) {
  TokenBudget budget(Policy(100));
  // A stream alone (the bulk lane's 80%) gets there too.
  int rounds = 0;
  while (budget.effective_limit() != 0 && rounds++ < 500) {
    ASSERT_GT(SendAndAcceptARound(budget, Lane::kBulk, kStart), 0);
  }
  ASSERT_EQ(budget.effective_limit(), 0) << "after " << rounds << " round trips";
  EXPECT_GT(budget.UsedAt(kStart), 300);
  EXPECT_EQ(budget.NextSendTime(Lane::kBulk, kStart), kStart);
  // A 429 sets a limit again: what the window held.
  const int held = budget.UsedAt(kStart);
  budget.Observe(RateLimited(AnswerOutcome::kRollingLimit), kStart, budget.Spend(kStart));
  EXPECT_EQ(budget.effective_limit(), held);
  EXPECT_GT(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
}

TEST(TokenBudgetTest, WithoutHeadersTheLimitRisesPerSuccessWhileTheWindowIsHalfUsed) {
  TokenBudget budget(Policy(10));
  std::vector<TokenBudget::Ticket> sent;
  for (int i = 0; i < 10; ++i) sent.push_back(budget.Spend(kStart));
  EXPECT_GT(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  for (const TokenBudget::Ticket& ticket : sent) budget.Observe(Answer(204), kStart, ticket);
  EXPECT_EQ(budget.effective_limit(), 20);
  // Past the level known to be accepted (10), requests probe one at a time first.
  EXPECT_EQ(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  EXPECT_TRUE(budget.Spend(kStart).probe);
  EXPECT_GT(budget.NextSendTime(Lane::kInteractive, kStart), kStart);
  // A success while the window is less than half used raises nothing.
  TokenBudget quiet(Policy(10));
  quiet.Observe(Answer(204), kStart, quiet.Spend(kStart));
  EXPECT_EQ(quiet.effective_limit(), 10);
}

TEST(TokenBudgetTest, ARollingLimitEndsTheSlowStartThenTheLimitClimbsOnlyPastAcceptedWindows) {
  TokenBudget budget(Policy(10));
  std::vector<TokenBudget::Ticket> sent;
  for (int i = 0; i < 10; ++i) sent.push_back(budget.Spend(kStart));
  for (const TokenBudget::Ticket& ticket : sent) budget.Observe(Answer(204), kStart, ticket);
  ASSERT_EQ(budget.effective_limit(), 20);
  // HubSpot takes 13 and refuses the 14th.
  TokenBudget::Ticket last;
  for (int i = 0; i < 4; ++i) {
    last = budget.Spend(kStart);
    if (i < 3) budget.Observe(Answer(204), kStart, last);
  }
  budget.Observe(RateLimited(AnswerOutcome::kRollingLimit), kStart, last);
  EXPECT_EQ(budget.effective_limit(), 13);
  // No more slow start. An interval later it may try one past the 13 held,
  // and no further until HubSpot accepts a whole window at that level.
  budget.NextSendTime(Lane::kInteractive, kStart + absl::Seconds(10));
  EXPECT_EQ(budget.effective_limit(), 14);
  budget.NextSendTime(Lane::kInteractive, kStart + absl::Seconds(30));
  EXPECT_EQ(budget.effective_limit(), 14);
  const absl::Time later = kStart + absl::Seconds(40);
  EXPECT_EQ(SendAndAcceptARound(budget, Lane::kInteractive, later), 14);
  budget.NextSendTime(Lane::kInteractive, later + absl::Seconds(10));
  EXPECT_EQ(budget.effective_limit(), 15);
}

TEST(TokenBudgetTest, AnAdvertisedLimitIsNeverDiscoveredPast) {
  RateLimitHeaders advertised;
  advertised.max = 10;
  TokenBudget budget(Policy(10));
  std::vector<TokenBudget::Ticket> sent;
  for (int i = 0; i < 10; ++i) sent.push_back(budget.Spend(kStart));
  for (const TokenBudget::Ticket& ticket : sent) {
    budget.Observe(Answer(204, advertised), kStart, ticket);
  }
  EXPECT_EQ(budget.effective_limit(), 10);
  // Nor without the flag.
  BudgetPolicy fixed = Policy(10);
  fixed.discover = false;
  TokenBudget guessed(fixed);
  sent.clear();
  for (int i = 0; i < 10; ++i) sent.push_back(guessed.Spend(kStart));
  for (const TokenBudget::Ticket& ticket : sent) guessed.Observe(Answer(204), kStart, ticket);
  EXPECT_EQ(guessed.effective_limit(), 10);
}

TEST(TokenBudgetTest, RetryAfterPausesAtMostMaxPause) {
  TokenBudget budget(Policy(190));
  const TokenBudget::Ticket ticket = budget.Spend(kStart);
  budget.Observe(RateLimited(AnswerOutcome::kRollingLimit, absl::Seconds(2)), kStart, ticket);
  EXPECT_EQ(budget.NextSendTime(Lane::kInteractive, kStart), kStart + absl::Seconds(2));
  budget.Observe(RateLimited(AnswerOutcome::kRollingLimit, absl::Seconds(999999999)), kStart,
                 ticket);
  EXPECT_EQ(budget.NextSendTime(Lane::kInteractive, kStart), kStart + absl::Seconds(60));
}

TEST(TokenBudgetTest, DailyLimitBlocksUntilHubSpotReportsRequestsLeft) {
  TokenBudget budget(Policy(190));
  budget.Observe(RateLimited(AnswerOutcome::kDailyLimit), kStart, budget.Spend(kStart));
  EXPECT_TRUE(budget.DailyExhausted(kStart + absl::Seconds(59)));
  EXPECT_FALSE(budget.DailyExhausted(kStart + absl::Seconds(60)));
  RateLimitHeaders none_left;
  none_left.daily_remaining = 0;
  budget.Observe(Answer(204, none_left), kStart, TokenBudget::Ticket{0, kStart, false});
  EXPECT_TRUE(budget.DailyExhausted(kStart + absl::Seconds(1)));
  RateLimitHeaders some_left;
  some_left.daily_remaining = 500;
  budget.Observe(Answer(204, some_left), kStart + absl::Seconds(1),
                 TokenBudget::Ticket{0, kStart + absl::Seconds(1), false});
  EXPECT_FALSE(budget.DailyExhausted(kStart + absl::Seconds(1)));
}

TEST(TokenBudgetTest, HugeAdvertisedLimitsCostNoMoreMemoryOrTime) {
  TokenBudget budget(Policy(190));
  RateLimitHeaders headers;
  headers.max = RateLimitHeaders::kMaxAdvertisedRequests;
  headers.remaining = 0;
  budget.Observe(Answer(204, headers), kStart, TokenBudget::Ticket{0, kStart, false});
  EXPECT_EQ(budget.UsedAt(kStart), RateLimitHeaders::kMaxAdvertisedRequests);
  EXPECT_EQ(budget.NextSendTime(Lane::kInteractive, kStart),
            kStart + kBucket + absl::Seconds(10) + kGuard);
}

TEST(TokenBudgetTest, NewIntervalKeepsWhatWasCounted) {
  TokenBudget budget(Policy(10));
  SpendMany(budget, 10, kStart);
  RateLimitHeaders headers;
  headers.interval = absl::Seconds(1);
  budget.Observe(Answer(204, headers), kStart, TokenBudget::Ticket{0, kStart, false});
  EXPECT_EQ(budget.interval(), absl::Seconds(1));
  EXPECT_EQ(budget.UsedAt(kStart), 10);
  EXPECT_EQ(budget.UsedAt(kStart + absl::Seconds(2)), 0);
}

TEST(TokenBudgetTest, IdleAfterTwoIntervalsWithoutSending) {
  TokenBudget budget(Policy(10));
  budget.Spend(kStart);
  EXPECT_FALSE(budget.IsIdle(kStart + absl::Seconds(19)));
  EXPECT_TRUE(budget.IsIdle(kStart + absl::Seconds(20)));
}

TEST(TokenBudgetTest, NoLimitSendsAtOnce) {
  TokenBudget budget(Policy(0));
  SpendMany(budget, 10000, kStart);
  EXPECT_EQ(budget.NextSendTime(Lane::kBulk, kStart), kStart);
}

}  // namespace
}  // namespace hubspot_gateway
