#include "server/http/transport_flags.h"

#include <cstdint>

#include "absl/flags/flag.h"

ABSL_FLAG(int, max_upstream_connections,
          static_cast<int>(hubspot_gateway::CurlMultiTransport::Options().max_connections_per_host),
          "Connections kept open to HubSpot; further requests queue");

ABSL_FLAG(int64_t, max_upstream_response_bytes,
          static_cast<int64_t>(hubspot_gateway::CurlMultiTransport::Options().max_response_bytes),
          "An upstream answer's body past this many bytes is dropped and its request fails "
          "(INTERNAL, naming the limit and quoting how the body began)");

namespace hubspot_gateway {

absl::StatusOr<CurlMultiTransport::Options> TransportOptionsFromFlags() {
  CurlMultiTransport::Options options;
  options.max_connections_per_host = absl::GetFlag(FLAGS_max_upstream_connections);
  if (options.max_connections_per_host < 1) {
    return absl::InvalidArgumentError("--max_upstream_connections must be at least 1");
  }
  const int64_t max_response_bytes = absl::GetFlag(FLAGS_max_upstream_response_bytes);
  if (max_response_bytes < 1024) {
    return absl::InvalidArgumentError("--max_upstream_response_bytes must be at least 1024");
  }
  options.max_response_bytes = static_cast<size_t>(max_response_bytes);
  return options;
}

}  // namespace hubspot_gateway
