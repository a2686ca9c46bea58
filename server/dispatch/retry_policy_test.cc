#include "server/dispatch/retry_policy.h"

#include "absl/random/mock_distributions.h"
#include "absl/random/mocking_bit_gen.h"
#include "absl/random/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(RetryPolicyTest, RetriesTransientFailuresAndEveryLimitButTheDailyOne) {
  EXPECT_TRUE(RetryPolicy::IsRetryable(AnswerOutcome::kTransient));
  EXPECT_TRUE(RetryPolicy::IsRetryable(AnswerOutcome::kRollingLimit));
  EXPECT_FALSE(RetryPolicy::IsRetryable(AnswerOutcome::kDailyLimit));
  EXPECT_FALSE(RetryPolicy::IsRetryable(AnswerOutcome::kPermanent));
  EXPECT_FALSE(RetryPolicy::IsRetryable(AnswerOutcome::kSuccess));
  EXPECT_FALSE(RetryPolicy::IsRetryable(AnswerOutcome::kPartial));
}

TEST(BackoffPolicyTest, FullJitterUpToAnExponentialCeiling) {
  const BackoffPolicy policy;  // 200 ms, x2, capped at 10 s.
  absl::MockingBitGen random;
  for (auto [retry, ceiling] : std::vector<std::pair<int, double>>{
           {1, 0.2}, {2, 0.4}, {3, 0.8}, {6, 6.4}, {7, 10.0}, {20, 10.0}}) {
    EXPECT_CALL(absl::MockUniform<double>(),
                Call(absl::IntervalClosed, random, 0.0, testing::DoubleEq(ceiling)))
        .WillOnce(testing::Return(ceiling / 2));
    EXPECT_EQ(policy.DelayBefore(retry, absl::ZeroDuration(), random), absl::Seconds(ceiling / 2))
        << "retry " << retry;
  }
}

TEST(BackoffPolicyTest, RetryAfterIsAFloor) {
  const BackoffPolicy policy;
  absl::MockingBitGen random;
  EXPECT_CALL(absl::MockUniform<double>(), Call(absl::IntervalClosed, random, 0.0, 0.2))
      .WillOnce(testing::Return(0.1));
  EXPECT_EQ(policy.DelayBefore(1, absl::Seconds(3), random), absl::Seconds(3));
}

TEST(BackoffPolicyTest, RealRandomnessStaysWithinBounds) {
  const BackoffPolicy policy;
  absl::BitGen random;
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration delay = policy.DelayBefore(3, absl::ZeroDuration(), random);
    EXPECT_GE(delay, absl::ZeroDuration());
    EXPECT_LE(delay, absl::Milliseconds(800));
  }
}

}  // namespace
}  // namespace hubspot_gateway
