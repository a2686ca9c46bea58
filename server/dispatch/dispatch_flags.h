// The command-line flags of the dispatch layer (chunking, concurrency, upstream
// timeout, retries, backoff, rate budget), parsed and validated into its
// options structs. Read once at startup.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_DISPATCH_FLAGS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_DISPATCH_FLAGS_H_

#include "absl/status/statusor.h"
#include "server/dispatch/associations_archiver.h"
#include "server/dispatch/rate_limiter.h"

namespace hubspot_gateway {

// The archiver's options, its HubSpot endpoint included (endpoint_flags.h);
// INVALID_ARGUMENT naming the flag at fault.
absl::StatusOr<ArchiverOptions> ArchiverOptionsFromFlags();

// The rate budget of --rate_limit_per_10s: that many requests per 10 s.
absl::StatusOr<RateBudget> RateBudgetFromFlags();

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_DISPATCH_FLAGS_H_
