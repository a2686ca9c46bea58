#include "server/dispatch/retry_policy.h"

#include "absl/random/mock_distributions.h"
#include "absl/random/mocking_bit_gen.h"
#include "absl/random/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/hubspot/upstream_error_status.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;

absl::Status RateLimited(const std::string& policy, const std::string& message) {
  v1::UpstreamError error;
  error.set_http_status(429);
  error.set_policy_name(policy);
  error.set_message(message);
  return RejectedRequestStatus(error);
}

TEST(RetryPolicyTest, RetriesOnlyTransientFailures) {
  const RetryPolicy policy;
  EXPECT_TRUE(policy.IsTransient(absl::UnavailableError("503")));
  EXPECT_TRUE(policy.IsTransient(absl::DeadlineExceededError("attempt timed out")));
  EXPECT_TRUE(policy.IsTransient(RateLimited("TEN_SECONDLY_ROLLING", "")));
  EXPECT_TRUE(policy.IsTransient(RateLimited("", "You have reached your secondly limit.")));
  EXPECT_FALSE(policy.IsTransient(RateLimited("DAILY", "You have reached your daily limit.")));
  EXPECT_FALSE(policy.IsTransient(absl::ResourceExhaustedError("no upstream detail")));
  EXPECT_FALSE(policy.IsTransient(absl::InvalidArgumentError("400")));
  EXPECT_FALSE(policy.IsTransient(absl::UnauthenticatedError("401")));
  EXPECT_FALSE(policy.IsTransient(absl::PermissionDeniedError("403")));
  EXPECT_FALSE(policy.IsTransient(absl::NotFoundError("404")));
  EXPECT_FALSE(policy.IsTransient(absl::AbortedError("409")));
  EXPECT_FALSE(policy.IsTransient(absl::InternalError("bad body")));
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
