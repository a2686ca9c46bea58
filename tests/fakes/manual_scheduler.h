// ManualScheduler: a clock that moves only when the test says so. RunAfter
// queues the task at its due time; AdvanceBy moves the clock and runs every
// task that came due, in time order (tasks queued by those tasks included),
// on the test's thread. So tests see waits, wake-ups and deadlines exactly,
// without sleeping. Thread-safe; tasks run without its lock held.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_MANUAL_SCHEDULER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_MANUAL_SCHEDULER_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "server/clock/scheduler.h"

namespace hubspot_gateway {

class ManualScheduler final : public Scheduler {
 public:
  explicit ManualScheduler(absl::Time start = absl::FromUnixSeconds(1772366400)) : now_(start) {}

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  void RunAfter(absl::Duration delay, Task task) override {
    absl::MutexLock lock(&mu_);
    pending_.emplace(std::make_pair(now_ + std::max(delay, absl::ZeroDuration()), sequence_++),
                     std::move(task));
  }

  // Runs what is due now (tasks scheduled with no delay).
  void RunDue() { AdvanceBy(absl::ZeroDuration()); }

  // Moves the clock forward by `by`, running each task as its time comes.
  void AdvanceBy(absl::Duration by) {
    absl::Time until;
    {
      absl::MutexLock lock(&mu_);
      until = now_ + by;
    }
    while (true) {
      Task task;
      {
        absl::MutexLock lock(&mu_);
        if (pending_.empty() || pending_.begin()->first.first > until) {
          now_ = until;
          return;
        }
        now_ = std::max(now_, pending_.begin()->first.first);
        task = std::move(pending_.begin()->second);
        pending_.erase(pending_.begin());
      }
      std::move(task)();
    }
  }

  // When the next task is due; InfiniteFuture when none is queued.
  absl::Time NextDue() {
    absl::MutexLock lock(&mu_);
    return pending_.empty() ? absl::InfiniteFuture() : pending_.begin()->first.first;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::pair<absl::Time, uint64_t>, Task> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_MANUAL_SCHEDULER_H_
