#include "server/api/stream_idleness.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;
using Verdict = StreamIdleness::Verdict;

const absl::Time kStart = absl::FromUnixSeconds(1772366400);
const absl::Duration kTimeout = absl::Minutes(5);

TEST(StreamIdlenessTest, IdleOnceTheTimeoutHasPassedSinceItWasLastActive) {
  StreamIdleness idleness(kTimeout, kStart);
  EXPECT_EQ(idleness.Check(kStart + kTimeout - absl::Seconds(1), false, false), Verdict::kActive);
  EXPECT_EQ(idleness.Check(kStart + kTimeout, false, false), Verdict::kIdle);
  idleness.Active(kStart + absl::Minutes(4));
  EXPECT_EQ(idleness.Check(kStart + kTimeout, false, false), Verdict::kActive);
  EXPECT_EQ(idleness.Check(kStart + absl::Minutes(9), false, false), Verdict::kIdle);
}

TEST(StreamIdlenessTest, ARequestInFlightKeepsTheStreamActive) {
  StreamIdleness idleness(kTimeout, kStart);
  EXPECT_EQ(idleness.Check(kStart + absl::Hours(1), /*requests_in_flight=*/true, false),
            Verdict::kActive);
}

TEST(StreamIdlenessTest, ACallerThatReadNoProgressForTheTimeoutIsCancelled) {
  StreamIdleness idleness(kTimeout, kStart);
  idleness.WriteStarted(kStart + absl::Minutes(1));
  // Idle, but the write started less than the timeout ago: a last message
  // may still reach the caller.
  EXPECT_EQ(idleness.Check(kStart + kTimeout, false, /*write_pending=*/true), Verdict::kIdle);
  EXPECT_EQ(idleness.Check(kStart + absl::Minutes(6), false, /*write_pending=*/true),
            Verdict::kCallerNotReading);
  // A write long done says nothing about the caller.
  EXPECT_EQ(idleness.Check(kStart + absl::Minutes(6), false, /*write_pending=*/false),
            Verdict::kIdle);
}

TEST(StreamIdlenessTest, AnInfiniteTimeoutNeverEndsAStream) {
  StreamIdleness idleness(absl::InfiniteDuration(), kStart);
  idleness.WriteStarted(kStart);
  EXPECT_EQ(idleness.Check(kStart + absl::Hours(10000), false, true), Verdict::kActive);
}

TEST(StreamIdlenessTest, ErrorsAreDeadlineExceededAndNameTheFlag) {
  StreamIdleness idleness(absl::Seconds(1), kStart);
  EXPECT_TRUE(absl::IsDeadlineExceeded(idleness.IdleError()));
  EXPECT_THAT(idleness.IdleError().message(),
              HasSubstr("stream idle for 1s (no request read and none in flight; "
                        "--stream_idle_timeout): ended by the gateway"));
  EXPECT_TRUE(absl::IsDeadlineExceeded(idleness.CallerNotReadingError()));
  EXPECT_THAT(idleness.CallerNotReadingError().message(),
              HasSubstr("with its caller reading no progress (--stream_idle_timeout)"));
}

}  // namespace
}  // namespace hubspot_gateway
