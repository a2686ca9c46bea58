#include "server/api/archive_streams.h"

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "server/clock/timer_thread_scheduler.h"
#include "tests/fakes/manual_scheduler.h"
#include "tests/testing/polling.h"

namespace hubspot_gateway {
namespace {

using ::hubspot_gateway::testing::WaitUntil;

const absl::Duration kIdleTimeout = absl::Seconds(4);
// A quarter of the timeout.
const absl::Duration kCheckInterval = absl::Seconds(1);

// Records the calls it receives; `on_drain` runs inside Drain.
class RecordingStream final : public LiveStream {
 public:
  void Drain() override {
    absl::AnyInvocable<void()> on_drain;
    {
      absl::MutexLock lock(&mu_);
      ++drains_;
      on_drain = std::move(on_drain_);
    }
    if (on_drain) on_drain();
  }

  void CheckIdle(absl::Time now) override {
    absl::MutexLock lock(&mu_);
    checks_.push_back(now);
  }

  void OnDrain(absl::AnyInvocable<void()> on_drain) {
    absl::MutexLock lock(&mu_);
    on_drain_ = std::move(on_drain);
  }
  int drains() {
    absl::MutexLock lock(&mu_);
    return drains_;
  }
  std::vector<absl::Time> checks() {
    absl::MutexLock lock(&mu_);
    return checks_;
  }

 private:
  absl::Mutex mu_;
  int drains_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<absl::Time> checks_ ABSL_GUARDED_BY(mu_);
  absl::AnyInvocable<void()> on_drain_ ABSL_GUARDED_BY(mu_);
};

TEST(ArchiveStreamsTest, ChecksIdlenessOnTheSchedulersClockWhileStreamsAreOpen) {
  ManualScheduler scheduler;
  ArchiveStreams streams(scheduler, kIdleTimeout);
  EXPECT_EQ(streams.idle_timeout(), kIdleTimeout);
  EXPECT_EQ(&streams.scheduler(), &scheduler);
  EXPECT_EQ(scheduler.NextDue(), absl::InfiniteFuture());  // Nothing to check.

  RecordingStream first;
  RecordingStream second;
  const absl::Time start = scheduler.Now();
  ASSERT_TRUE(streams.Add(&first));
  ASSERT_TRUE(streams.Add(&second));
  EXPECT_EQ(scheduler.NextDue(), start + kCheckInterval);  // One check for all.
  scheduler.AdvanceBy(absl::Seconds(2));
  EXPECT_EQ(first.checks(),
            (std::vector<absl::Time>{start + absl::Seconds(1), start + absl::Seconds(2)}));
  EXPECT_EQ(second.checks().size(), 2u);

  streams.Remove(&first);
  scheduler.AdvanceBy(kCheckInterval);
  EXPECT_EQ(first.checks().size(), 2u);
  EXPECT_EQ(second.checks().size(), 3u);
  streams.Remove(&second);
  scheduler.AdvanceBy(kCheckInterval);  // Finds no stream; queues no further check.
  EXPECT_EQ(second.checks().size(), 3u);
  EXPECT_EQ(scheduler.NextDue(), absl::InfiniteFuture());

  ASSERT_TRUE(streams.Add(&first));  // Checks resume.
  EXPECT_EQ(scheduler.NextDue(), scheduler.Now() + kCheckInterval);
  streams.Remove(&first);
}

TEST(ArchiveStreamsTest, AnInfiniteTimeoutQueuesNoChecks) {
  ManualScheduler scheduler;
  ArchiveStreams streams(scheduler, absl::InfiniteDuration());
  RecordingStream stream;
  ASSERT_TRUE(streams.Add(&stream));
  EXPECT_EQ(scheduler.NextDue(), absl::InfiniteFuture());
  streams.Remove(&stream);
}

TEST(ArchiveStreamsTest, DrainReachesEveryStreamAndRefusesLaterOnes) {
  ManualScheduler scheduler;
  ArchiveStreams streams(scheduler, kIdleTimeout);
  RecordingStream first;
  RecordingStream second;
  RecordingStream later;
  ASSERT_TRUE(streams.Add(&first));
  ASSERT_TRUE(streams.Add(&second));
  streams.Drain();
  EXPECT_EQ(first.drains(), 1);
  EXPECT_EQ(second.drains(), 1);
  EXPECT_FALSE(streams.Add(&later));
  streams.Drain();
  EXPECT_EQ(later.drains(), 0);
  streams.Remove(&first);
  streams.Remove(&second);
  streams.Remove(&later);  // Never added: a no-op.
}

TEST(ArchiveStreamsTest, StreamsAreCalledWithoutTheRegistryLocked) {
  ManualScheduler scheduler;
  ArchiveStreams streams(scheduler, kIdleTimeout);
  RecordingStream first;
  RecordingStream second;
  RecordingStream third;
  ASSERT_TRUE(streams.Add(&first));
  ASSERT_TRUE(streams.Add(&second));
  // From inside a call, the registry takes calls of its own: it would
  // deadlock if it held its lock while calling.
  int refused = 0;
  first.OnDrain([&] {
    if (!streams.Add(&third)) ++refused;
    streams.Remove(&second);
  });
  second.OnDrain([&] {
    if (!streams.Add(&third)) ++refused;
    streams.Remove(&first);
  });
  streams.Drain();
  // Whichever ran first removed the other before its turn.
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(first.drains() + second.drains(), 1);
  streams.Remove(&first);
  streams.Remove(&second);
}

TEST(ArchiveStreamsTest, RemoveWaitsForACallUnderWay) {
  ManualScheduler scheduler;
  ArchiveStreams streams(scheduler, kIdleTimeout);
  RecordingStream stream;
  ASSERT_TRUE(streams.Add(&stream));
  absl::Notification draining;
  absl::Notification release;
  stream.OnDrain([&] {
    draining.Notify();
    release.WaitForNotification();
  });
  std::thread drainer([&] { streams.Drain(); });
  draining.WaitForNotification();
  absl::Notification removed;
  std::thread remover([&] {
    streams.Remove(&stream);
    removed.Notify();
  });
  // Still inside Drain: Remove has not returned (a short wait, nothing more).
  EXPECT_FALSE(removed.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
  release.Notify();
  removed.WaitForNotification();
  drainer.join();
  remover.join();
  EXPECT_EQ(stream.drains(), 1);
}

TEST(ArchiveStreamsTest, ChecksStopOnceTheSchedulerHasShutDown) {
  // A shut-down TimerThreadScheduler runs what it is given at once: the
  // registry must not queue check after check for ever.
  TimerThreadScheduler scheduler;
  ArchiveStreams streams(scheduler, absl::Milliseconds(40));
  RecordingStream stream;
  ASSERT_TRUE(streams.Add(&stream));  // Queues a check 10 ms out.
  scheduler.Shutdown();               // Runs it at once; it queues no further one.
  ASSERT_TRUE(WaitUntil([&] { return stream.checks().size() == 1; }, absl::Seconds(10)));
  RecordingStream later;
  ASSERT_TRUE(streams.Add(&later));  // Queues nothing on the stopped scheduler.
  EXPECT_EQ(later.checks().size(), 0u);
  EXPECT_EQ(stream.checks().size(), 1u);
  streams.Remove(&stream);
  streams.Remove(&later);
}

}  // namespace
}  // namespace hubspot_gateway
