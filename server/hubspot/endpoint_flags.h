// The command-line flags that choose the HubSpot endpoint:
// --hubspot_base_url and --hubspot_api_version. Read once at startup.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ENDPOINT_FLAGS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ENDPOINT_FLAGS_H_

#include "absl/status/statusor.h"
#include "server/hubspot/endpoint.h"

namespace hubspot_gateway {

// The endpoint the flags name; INVALID_ARGUMENT naming the flag at fault.
absl::StatusOr<HubSpotEndpoint> HubSpotEndpointFromFlags();

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ENDPOINT_FLAGS_H_
