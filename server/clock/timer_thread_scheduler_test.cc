#include "server/clock/timer_thread_scheduler.h"

#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(TimerThreadSchedulerTest, RunsTasksInDueOrderNotSubmissionOrder) {
  TimerThreadScheduler scheduler;
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification done;
  scheduler.RunAfter(absl::Milliseconds(60), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(3);
    done.Notify();
  });
  scheduler.RunAfter(absl::Milliseconds(30), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(2);
  });
  scheduler.RunAfter(absl::ZeroDuration(), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(1);
  });
  done.WaitForNotification();
  absl::MutexLock lock(&mu);
  EXPECT_THAT(order, testing::ElementsAre(1, 2, 3));
}

TEST(TimerThreadSchedulerTest, ShutdownRunsPendingTasksAtOnceAndLaterOnesInline) {
  TimerThreadScheduler scheduler;
  absl::Notification far_task_ran;
  scheduler.RunAfter(absl::Hours(1), [&] { far_task_ran.Notify(); });
  scheduler.Shutdown();
  EXPECT_TRUE(far_task_ran.WaitForNotificationWithTimeout(absl::Seconds(30)));
  bool inline_ran = false;
  scheduler.RunAfter(absl::Hours(1), [&] { inline_ran = true; });
  EXPECT_TRUE(inline_ran);
}

}  // namespace
}  // namespace hubspot_gateway
