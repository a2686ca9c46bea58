// FakeScheduler: a manual clock whose RunAfter "sleeps" by advancing the
// clock and running the task inline, recording every delay asked for, so
// tests check exact waits without sleeping. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_FAKE_SCHEDULER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_FAKE_SCHEDULER_H_

#include <vector>

#include "absl/synchronization/mutex.h"
#include "server/dispatch/scheduler.h"

namespace hubspot_gateway {

class FakeScheduler final : public Scheduler {
 public:
  explicit FakeScheduler(absl::Time start = absl::FromUnixSeconds(1772366400))
      : now_(start) {}

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  void RunAfter(absl::Duration delay, Task task) override {
    {
      absl::MutexLock lock(&mu_);
      delays_.push_back(delay);
      if (delay > absl::ZeroDuration()) now_ += delay;
    }
    std::move(task)();
  }

  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mu_);
    now_ += by;
  }

  std::vector<absl::Duration> delays() {
    absl::MutexLock lock(&mu_);
    return delays_;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Duration> delays_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_FAKE_SCHEDULER_H_
