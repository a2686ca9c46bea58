// WaitUntil polls a condition until it holds or a bound passes, for tests
// that wait for another thread or process to reach a state (a counter on a
// stats endpoint, a metric) instead of sleeping a fixed time and hoping.
// Thread-compatible: the condition runs on the calling thread.
//
//   ASSERT_TRUE(WaitUntil([&] { return Stat(*stack, "hung") >= 1; }, absl::Seconds(10)));
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_POLLING_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_POLLING_H_

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"

namespace hubspot_gateway::testing {

// Calls `condition` every `interval` until it returns true (then true) or
// `timeout` has passed (then false).
bool WaitUntil(absl::FunctionRef<bool()> condition, absl::Duration timeout,
               absl::Duration interval = absl::Milliseconds(10));

}  // namespace hubspot_gateway::testing

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_POLLING_H_
