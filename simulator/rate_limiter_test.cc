#include "simulator/rate_limiter.h"

#include "gtest/gtest.h"

namespace hubspot_simulator {
namespace {

using Verdict = RateLimiter::Verdict;

class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiter MakeLimiter(int64_t window_limit, int64_t daily_limit = 0) {
    RateLimiter::Options options;
    options.window_limit = window_limit;
    options.window = absl::Seconds(10);
    options.daily_limit = daily_limit;
    return RateLimiter(options, [this] { return now_; });
  }

  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(RateLimiterTest, CountsDownExactlyThenRejects) {
  RateLimiter limiter = MakeLimiter(3);
  for (int64_t expected_remaining : {2, 1, 0}) {
    const RateLimiter::Decision decision = limiter.Acquire("t");
    EXPECT_EQ(decision.verdict, Verdict::kAllowed);
    EXPECT_EQ(decision.window_remaining, expected_remaining);
  }
  const RateLimiter::Decision rejected = limiter.Acquire("t");
  EXPECT_EQ(rejected.verdict, Verdict::kWindowExceeded);
  EXPECT_EQ(rejected.window_remaining, 0);
}

TEST_F(RateLimiterTest, WindowRollsRequestByRequest) {
  RateLimiter limiter = MakeLimiter(2);
  limiter.Acquire("t");  // at 0 s
  now_ += absl::Seconds(4);
  limiter.Acquire("t");  // at 4 s
  EXPECT_EQ(limiter.Acquire("t").verdict, Verdict::kWindowExceeded);

  now_ += absl::Seconds(6) - absl::Milliseconds(1);  // 9.999 s: 0 s still live
  EXPECT_EQ(limiter.Acquire("t").verdict, Verdict::kWindowExceeded);

  now_ += absl::Milliseconds(1);  // 10 s: the 0 s request has left the window
  EXPECT_EQ(limiter.Peek("t").window_remaining, 1);
  const RateLimiter::Decision decision = limiter.Acquire("t");
  EXPECT_EQ(decision.verdict, Verdict::kAllowed);
  EXPECT_EQ(decision.window_remaining, 0);

  now_ += absl::Seconds(20);
  EXPECT_EQ(limiter.Peek("t").window_remaining, 2);
}

TEST_F(RateLimiterTest, RejectedRequestsAreNotCounted) {
  RateLimiter limiter = MakeLimiter(1);
  limiter.Acquire("t");
  for (int i = 0; i < 5; ++i) {
    now_ += absl::Seconds(1);
    EXPECT_EQ(limiter.Acquire("t").verdict, Verdict::kWindowExceeded);
  }
  now_ += absl::Seconds(5);  // 10 s after the only admitted request
  EXPECT_EQ(limiter.Acquire("t").verdict, Verdict::kAllowed);
}

TEST_F(RateLimiterTest, TokensAreIndependent) {
  RateLimiter limiter = MakeLimiter(1);
  EXPECT_EQ(limiter.Acquire("a").verdict, Verdict::kAllowed);
  EXPECT_EQ(limiter.Acquire("b").verdict, Verdict::kAllowed);
  EXPECT_EQ(limiter.Acquire("a").verdict, Verdict::kWindowExceeded);
}

TEST_F(RateLimiterTest, PeekDoesNotCount) {
  RateLimiter limiter = MakeLimiter(2);
  EXPECT_EQ(limiter.Peek("t").window_remaining, 2);
  EXPECT_EQ(limiter.Peek("t").window_remaining, 2);
  limiter.Acquire("t");
  EXPECT_EQ(limiter.Peek("t").window_remaining, 1);
}

TEST_F(RateLimiterTest, DailyLimitOutlivesTheWindow) {
  RateLimiter limiter = MakeLimiter(10, /*daily_limit=*/2);
  EXPECT_EQ(limiter.Acquire("t").daily_remaining, 1);
  EXPECT_EQ(limiter.Acquire("t").daily_remaining, 0);
  now_ += absl::Hours(1);
  const RateLimiter::Decision decision = limiter.Acquire("t");
  EXPECT_EQ(decision.verdict, Verdict::kDailyExceeded);
  EXPECT_EQ(decision.daily_remaining, 0);
  EXPECT_EQ(decision.window_remaining, 10);
}

TEST_F(RateLimiterTest, ZeroMeansUnlimited) {
  RateLimiter limiter = MakeLimiter(0);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(limiter.Acquire("t").verdict, Verdict::kAllowed);
  }
}

TEST_F(RateLimiterTest, ResetForgetsHistory) {
  RateLimiter limiter = MakeLimiter(1, /*daily_limit=*/1);
  limiter.Acquire("t");
  EXPECT_NE(limiter.Acquire("t").verdict, Verdict::kAllowed);
  limiter.Reset();
  EXPECT_EQ(limiter.Acquire("t").verdict, Verdict::kAllowed);
}

}  // namespace
}  // namespace hubspot_simulator
