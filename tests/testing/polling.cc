#include "tests/testing/polling.h"

#include "absl/time/clock.h"

namespace hubspot_gateway::testing {

bool WaitUntil(absl::FunctionRef<bool()> condition, absl::Duration timeout,
               absl::Duration interval) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() >= give_up) return false;
    absl::SleepFor(interval);
  }
  return true;
}

}  // namespace hubspot_gateway::testing
