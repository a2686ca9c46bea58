// The command-line flags of the dispatch layer (chunking, pacing and the
// budget's lanes, coalescing, upstream timeout, retries, backoff, the
// shared budget store), parsed and
// validated into its options structs. Read once at startup.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_DISPATCH_FLAGS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_DISPATCH_FLAGS_H_

#include <optional>

#include "absl/status/statusor.h"
#include "server/common/environment.h"
#include "server/dispatch/associations_archiver.h"
#include "server/dispatch/redis_budget.h"
#include "server/dispatch/token_dispatcher.h"

namespace hubspot_gateway {

// The archiver's options, its HubSpot endpoint included (endpoint_flags.h);
// INVALID_ARGUMENT naming the flag at fault.
absl::StatusOr<ArchiverOptions> ArchiverOptionsFromFlags();

// The dispatchers' options: request size, coalescing, budget, retries.
absl::StatusOr<DispatchOptions> DispatchOptionsFromFlags();

// The shared budget store (--budget_store and its password), or nullopt
// without one. No message holds the password.
absl::StatusOr<std::optional<BudgetStoreOptions>> BudgetStoreOptionsFromFlags(
    EnvironmentLookup environment);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_DISPATCH_FLAGS_H_
