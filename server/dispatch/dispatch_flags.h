// The command-line flags of the dispatch layer (request size, coalescing,
// upstream timeout, retries, backoff; the budget's own in budget_flags.h),
// parsed and validated into DispatchOptions. Read once at startup, on the
// main thread before the servers start; no locks, no callbacks.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_DISPATCH_FLAGS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_DISPATCH_FLAGS_H_

#include "absl/status/statusor.h"
#include "server/dispatch/token_dispatcher.h"

namespace hubspot_gateway {

// The dispatchers' options: request size, coalescing, budget, retries.
absl::StatusOr<DispatchOptions> DispatchOptionsFromFlags();

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_DISPATCH_FLAGS_H_
