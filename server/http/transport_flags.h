// The command-line flags of the HTTP transport: --max_upstream_connections
// and --max_upstream_response_bytes.
// Read once at startup, on the main thread before the servers start; no
// locks, no callbacks.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HTTP_TRANSPORT_FLAGS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HTTP_TRANSPORT_FLAGS_H_

#include "absl/status/statusor.h"
#include "server/http/curl_multi_transport.h"

namespace hubspot_gateway {

// The transport's options from the flags; INVALID_ARGUMENT naming the flag.
absl::StatusOr<CurlMultiTransport::Options> TransportOptionsFromFlags();

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HTTP_TRANSPORT_FLAGS_H_
