#include "server/dispatch/rate_limiter.h"

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1772366400);
const absl::Time kNoDeadline = absl::InfiniteFuture();
// The guard added to a 10 s (1 s) window: 2% + 10 ms.
const absl::Duration kGuard = absl::Milliseconds(210);
const absl::Duration kGuard1s = absl::Milliseconds(30);

HttpResponse Answer(int status, std::vector<std::pair<std::string, std::string>> headers) {
  HttpResponse response;
  response.status_code = status;
  response.headers = std::move(headers);
  return response;
}

TEST(RateLimiterTest, FullBudgetAtOnceThenTheWindowMustRoll) {
  RateLimiter limiter({3, absl::Seconds(10)});
  EXPECT_EQ(limiter.Reserve("t", kStart, kNoDeadline), kStart);
  EXPECT_EQ(limiter.Reserve("t", kStart + absl::Seconds(1), kNoDeadline),
            kStart + absl::Seconds(1));
  EXPECT_EQ(limiter.Reserve("t", kStart + absl::Seconds(2), kNoDeadline),
            kStart + absl::Seconds(2));
  // The fourth waits until the first leaves the window, the fifth for the second.
  EXPECT_EQ(limiter.Reserve("t", kStart + absl::Seconds(3), kNoDeadline),
            kStart + absl::Seconds(10) + kGuard);
  EXPECT_EQ(limiter.Reserve("t", kStart + absl::Seconds(3), kNoDeadline),
            kStart + absl::Seconds(11) + kGuard);
  // After a quiet spell, no wait.
  EXPECT_EQ(limiter.Reserve("t", kStart + absl::Seconds(60), kNoDeadline),
            kStart + absl::Seconds(60));
}

TEST(RateLimiterTest, EveryTenSecondWindowStaysWithinBudget) {
  RateLimiter limiter({190, absl::Seconds(10)});
  std::vector<absl::Time> sent;
  for (int i = 0; i < 1000; ++i) {
    sent.push_back(*limiter.Reserve("t", kStart + absl::Milliseconds(i), kNoDeadline));
  }
  for (size_t i = 190; i < sent.size(); ++i) {
    EXPECT_GE(sent[i] - sent[i - 190], absl::Seconds(10)) << i;
  }
  // Fully used but for the guard: 1000 requests need just over 5 windows.
  EXPECT_LT(sent.back() - kStart, absl::Seconds(52));
}

TEST(RateLimiterTest, TokensHaveSeparateBudgets) {
  RateLimiter limiter({1, absl::Seconds(10)});
  EXPECT_EQ(limiter.Reserve("a", kStart, kNoDeadline), kStart);
  EXPECT_EQ(limiter.Reserve("b", kStart, kNoDeadline), kStart);
  EXPECT_EQ(limiter.Reserve("a", kStart, kNoDeadline), kStart + absl::Seconds(10) + kGuard);
}

TEST(RateLimiterTest, NoReservationPastTheDeadline) {
  RateLimiter limiter({1, absl::Seconds(10)});
  limiter.Reserve("t", kStart, kNoDeadline);
  EXPECT_EQ(limiter.Reserve("t", kStart, kStart + absl::Seconds(5)), absl::nullopt);
  // Nothing was reserved by the refusal.
  EXPECT_EQ(limiter.Reserve("t", kStart, kNoDeadline), kStart + absl::Seconds(10) + kGuard);
}

TEST(RateLimiterTest, ZeroMeansUnlimited) {
  RateLimiter limiter({0, absl::Seconds(10)});
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.Reserve("t", kStart, kNoDeadline), kStart);
}

TEST(RateLimiterTest, AdoptsTheBudgetHubSpotAnnounces) {
  RateLimiter limiter({100, absl::Seconds(10)});
  limiter.Observe("t",
                  Answer(204, {{"x-hubspot-ratelimit-max", "2"},
                               {"x-hubspot-ratelimit-interval-milliseconds", "1000"}}),
                  kStart);
  EXPECT_EQ(limiter.Reserve("t", kStart, kNoDeadline), kStart);
  EXPECT_EQ(limiter.Reserve("t", kStart, kNoDeadline), kStart);
  EXPECT_EQ(limiter.Reserve("t", kStart, kNoDeadline), kStart + absl::Seconds(1) + kGuard1s);
}

TEST(RateLimiterTest, LowerRemainingThanExpectedSlowsDown) {
  RateLimiter limiter({10, absl::Seconds(10)});
  limiter.Reserve("t", kStart, kNoDeadline);
  // HubSpot saw 8 more requests from other clients of the app.
  limiter.Observe("t", Answer(204, {{"x-hubspot-ratelimit-remaining", "1"}}), kStart);
  EXPECT_EQ(limiter.Reserve("t", kStart, kNoDeadline), kStart);
  EXPECT_EQ(limiter.Reserve("t", kStart, kNoDeadline), kStart + absl::Seconds(10) + kGuard);
}

TEST(RateLimiterTest, A429WithoutRetryAfterPausesForOneInterval) {
  RateLimiter limiter({5, absl::Seconds(10)});
  limiter.Observe("t", Answer(429, {{"x-hubspot-ratelimit-remaining", "0"}}), kStart);
  EXPECT_EQ(limiter.Reserve("t", kStart + absl::Seconds(1), kNoDeadline),
            kStart + absl::Seconds(10));
  // Then the budget is whole again.
  EXPECT_EQ(limiter.Reserve("t", kStart + absl::Seconds(1), kNoDeadline),
            kStart + absl::Seconds(10));
}

TEST(RateLimiterTest, A429PausesForItsRetryAfter) {
  RateLimiter limiter({5, absl::Seconds(10)});
  limiter.Observe("t", Answer(429, {{"retry-after", "2"}}), kStart);
  EXPECT_EQ(limiter.Reserve("t", kStart, kNoDeadline), kStart + absl::Seconds(2));
  EXPECT_EQ(limiter.Reserve("t", kStart, kStart + absl::Seconds(1)), absl::nullopt);
}

TEST(RateLimiterTest, MissingOrMalformedHeadersChangeNothing) {
  RateLimiter limiter({1, absl::Seconds(10)});
  limiter.Observe("t", Answer(204, {{"x-hubspot-ratelimit-max", "lots"}}), kStart);
  EXPECT_EQ(limiter.Reserve("t", kStart, kNoDeadline), kStart);
  EXPECT_EQ(limiter.Reserve("t", kStart, kNoDeadline), kStart + absl::Seconds(10) + kGuard);
}

}  // namespace
}  // namespace hubspot_gateway
