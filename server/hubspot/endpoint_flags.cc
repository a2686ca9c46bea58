#include "server/hubspot/endpoint_flags.h"

#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, hubspot_base_url,
          std::string(hubspot_gateway::HubSpotEndpoint::kDefaultBaseUrl),
          "HubSpot API base URL (TLS verification is always on for https)");
ABSL_FLAG(std::string, hubspot_api_version,
          std::string(hubspot_gateway::HubSpotEndpoint::kDefaultApiVersion),
          "Date-versioned API (YYYY-MM, a month from 01 to 12), or v4 for the legacy /crm/v4 path");

namespace hubspot_gateway {

absl::StatusOr<HubSpotEndpoint> HubSpotEndpointFromFlags() {
  return HubSpotEndpoint::Create(absl::GetFlag(FLAGS_hubspot_base_url),
                                 absl::GetFlag(FLAGS_hubspot_api_version));
}

}  // namespace hubspot_gateway
