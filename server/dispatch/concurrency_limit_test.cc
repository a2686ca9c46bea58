#include "server/dispatch/concurrency_limit.h"

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

ConcurrencyLimitOptions Options() {
  ConcurrencyLimitOptions options;
  options.initial = 20;
  options.min = 1;
  options.max = 100;
  return options;
}

// One round trip: every request in flight is answered after `rtt`.
void RoundTrip(ConcurrencyLimit& limit, absl::Duration rtt) {
  const int in_flight = limit.limit();
  for (int i = 0; i < in_flight; ++i) limit.OnAnswer(rtt, in_flight);
}

TEST(ConcurrencyLimitTest, GrowsToItsMaxWhileLatencyHolds) {
  ConcurrencyLimit limit(Options());
  EXPECT_EQ(limit.limit(), 20);
  RoundTrip(limit, absl::Milliseconds(200));
  const int after_one = limit.limit();
  EXPECT_GT(after_one, 30);
  for (int i = 0; i < 3; ++i) RoundTrip(limit, absl::Milliseconds(200));
  EXPECT_EQ(limit.limit(), 100);
}

TEST(ConcurrencyLimitTest, ShrinksWhenAnswersSlowDown) {
  ConcurrencyLimit limit(Options());
  for (int i = 0; i < 4; ++i) RoundTrip(limit, absl::Milliseconds(100));
  ASSERT_EQ(limit.limit(), 100);
  // Four times slower than usual: the gradient floors at a half.
  for (int i = 0; i < 3; ++i) RoundTrip(limit, absl::Milliseconds(400));
  EXPECT_LT(limit.limit(), 80);
}

TEST(ConcurrencyLimitTest, TooLittleInFlightTeachesNothing) {
  ConcurrencyLimit limit(Options());
  for (int i = 0; i < 100; ++i) limit.OnAnswer(absl::Milliseconds(10), 4);
  EXPECT_EQ(limit.limit(), 20);
}

TEST(ConcurrencyLimitTest, FailuresShrinkItByATenthDownToOne) {
  ConcurrencyLimit limit(Options());
  limit.OnFailure();
  EXPECT_EQ(limit.limit(), 18);
  for (int i = 0; i < 100; ++i) limit.OnFailure();
  EXPECT_EQ(limit.limit(), 1);
}

TEST(ConcurrencyLimitTest, NeverShrinksBelowItsMin) {
  ConcurrencyLimitOptions options = Options();
  options.min = 20;
  ConcurrencyLimit limit(options);
  for (int i = 0; i < 4; ++i) RoundTrip(limit, absl::Milliseconds(100));
  ASSERT_EQ(limit.limit(), 100);
  for (int i = 0; i < 100; ++i) limit.OnFailure();
  EXPECT_EQ(limit.limit(), 20);
  // A min above the max is the max.
  options.max = 8;
  ConcurrencyLimit small(options);
  EXPECT_EQ(small.limit(), 8);
  small.OnFailure();
  EXPECT_EQ(small.limit(), 8);
}

TEST(ConcurrencyLimitTest, MaxZeroIsNoLimit) {
  ConcurrencyLimitOptions options = Options();
  options.max = 0;
  ConcurrencyLimit limit(options);
  limit.OnAnswer(absl::Milliseconds(10), 50);
  EXPECT_EQ(limit.limit(), 0);
}

}  // namespace
}  // namespace hubspot_gateway
