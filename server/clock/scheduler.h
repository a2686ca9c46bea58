// The clock and the asynchronous sleeper the call logic runs on, behind an
// interface so that tests control time: nothing waits by blocking a thread.
// Implementations are thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_CLOCK_SCHEDULER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_CLOCK_SCHEDULER_H_

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace hubspot_gateway {

class Scheduler {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  virtual ~Scheduler() = default;

  virtual absl::Time Now() = 0;

  // Runs `task` once, `delay` from now (at once when delay <= 0), on a
  // scheduler thread; the task must not block.
  virtual void RunAfter(absl::Duration delay, Task task) = 0;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_CLOCK_SCHEDULER_H_
