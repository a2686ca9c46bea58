#include "simulator/sleep_gate.h"

namespace hubspot_simulator {
namespace {

struct ReleaseWatch {
  const uint64_t* generation;
  uint64_t generation_at_start;

  bool Released() const { return *generation != generation_at_start; }
};

}  // namespace

bool SleepGate::SleepFor(absl::Duration duration) {
  if (duration <= absl::ZeroDuration()) return true;
  absl::MutexLock lock(&mu_);
  if (closed_) return false;
  const ReleaseWatch watch{&generation_, generation_};
  // AwaitWithTimeout releases mu_ while waiting.
  return !mu_.AwaitWithTimeout(absl::Condition(&watch, &ReleaseWatch::Released), duration);
}

void SleepGate::ReleaseAll() {
  absl::MutexLock lock(&mu_);
  ++generation_;
}

void SleepGate::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  ++generation_;
}

}  // namespace hubspot_simulator
