#include "server/http/transport_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(int, max_upstream_connections,
          static_cast<int>(hubspot_gateway::CurlMultiTransport::Options().max_connections_per_host),
          "Connections kept open to HubSpot; further requests queue");

namespace hubspot_gateway {

absl::StatusOr<CurlMultiTransport::Options> TransportOptionsFromFlags() {
  CurlMultiTransport::Options options;
  options.max_connections_per_host = absl::GetFlag(FLAGS_max_upstream_connections);
  if (options.max_connections_per_host < 1) {
    return absl::InvalidArgumentError("--max_upstream_connections must be at least 1");
  }
  return options;
}

}  // namespace hubspot_gateway
