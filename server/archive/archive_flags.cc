#include "server/archive/archive_flags.h"

#include <utility>

#include "absl/flags/flag.h"
#include "server/hubspot/endpoint_flags.h"

namespace {
const hubspot_gateway::ArchiverOptions kArchiverDefaults;
}  // namespace

ABSL_FLAG(int, max_concurrent_requests_per_call, kArchiverDefaults.max_concurrent_requests_per_call,
          "Chunks of one call (requests of one stream) handed to the dispatcher at once");

namespace hubspot_gateway {

absl::StatusOr<ArchiverOptions> ArchiverOptionsFromFlags() {
  ArchiverOptions options;
  absl::StatusOr<HubSpotEndpoint> endpoint = HubSpotEndpointFromFlags();
  if (!endpoint.ok()) return endpoint.status();
  options.endpoint = *std::move(endpoint);
  options.max_concurrent_requests_per_call = absl::GetFlag(FLAGS_max_concurrent_requests_per_call);
  if (options.max_concurrent_requests_per_call < 1) {
    return absl::InvalidArgumentError("--max_concurrent_requests_per_call must be at least 1");
  }
  return options;
}

}  // namespace hubspot_gateway
