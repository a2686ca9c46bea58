// SleepGate lets request handlers wait (simulated latency, hanging requests) in
// a way an operator can cut short: ReleaseAll() wakes the current sleepers
// (admin reset) and Close() also ends every later sleep at once (shutdown).
// Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_SLEEP_GATE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_SLEEP_GATE_H_

#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace hubspot_simulator {

class SleepGate {
 public:
  SleepGate() = default;
  SleepGate(const SleepGate&) = delete;
  SleepGate& operator=(const SleepGate&) = delete;

  // Waits up to `duration` without holding any lock; returns false if it was
  // released early (or the gate is closed), true if the full time passed.
  bool SleepFor(absl::Duration duration);

  // Wakes every thread currently in SleepFor.
  void ReleaseAll();

  // Wakes every sleeper and makes later SleepFor calls return immediately.
  void Close();

 private:
  absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // Bumped by each release.
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_SLEEP_GATE_H_
