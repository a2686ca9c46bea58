#include "server/clock/timer_thread_scheduler.h"

#include <vector>

namespace hubspot_gateway {

TimerThreadScheduler::TimerThreadScheduler() : thread_([this] { RunLoop(); }) {}

TimerThreadScheduler::~TimerThreadScheduler() {
  Shutdown();
  thread_.join();
}

void TimerThreadScheduler::RunAfter(absl::Duration delay, Task task) {
  {
    absl::MutexLock lock(&mu_);
    if (!shut_down_) {
      pending_.emplace(std::make_pair(absl::Now() + delay, next_sequence_++), std::move(task));
      return;
    }
  }
  std::move(task)();
}

void TimerThreadScheduler::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
}

void TimerThreadScheduler::RunLoop() {
  while (true) {
    std::vector<Task> due;
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      const absl::Time wake =
          pending_.empty() ? absl::InfiniteFuture() : pending_.begin()->first.first;
      // Wake at the earliest due time, or sooner when an earlier task arrives.
      auto woken = [this, wake]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return shut_down_ || (!pending_.empty() && pending_.begin()->first.first < wake);
      };
      mu_.AwaitWithDeadline(absl::Condition(&woken), wake);
      const absl::Time now = absl::Now();
      while (!pending_.empty() && (shut_down_ || pending_.begin()->first.first <= now)) {
        due.push_back(std::move(pending_.begin()->second));
        pending_.erase(pending_.begin());
      }
      stop = shut_down_;
    }
    for (Task& task : due) std::move(task)();
    if (stop) return;
  }
}

}  // namespace hubspot_gateway
