// Scheduler on the real clock: one thread runs due tasks in time order.
// Shutdown() runs every pending task at once (so no call is left waiting)
// and makes later RunAfter calls run inline. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_CLOCK_TIMER_THREAD_SCHEDULER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_CLOCK_TIMER_THREAD_SCHEDULER_H_

#include <cstdint>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/clock/scheduler.h"

namespace hubspot_gateway {

class TimerThreadScheduler final : public Scheduler {
 public:
  TimerThreadScheduler();
  ~TimerThreadScheduler() override;  // Calls Shutdown().

  absl::Time Now() override { return absl::Now(); }
  void RunAfter(absl::Duration delay, Task task) override;
  void Shutdown();

 private:
  void RunLoop();

  absl::Mutex mu_;
  // Keyed by (due time, sequence) so equal times keep submission order.
  std::map<std::pair<absl::Time, uint64_t>, Task> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_CLOCK_TIMER_THREAD_SCHEDULER_H_
