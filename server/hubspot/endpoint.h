// HubSpotEndpoint: where HubSpot's associations API lives and which version
// of it the gateway calls, and the URL of each batch call built from that.
// Immutable after Create: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ENDPOINT_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ENDPOINT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hubspot_gateway {

class HubSpotEndpoint {
 public:
  static constexpr absl::string_view kDefaultBaseUrl = "https://api.hubapi.com";
  static constexpr absl::string_view kDefaultApiVersion = "2026-03";

  // `base_url` must start with https:// or http:// and hold only visible
  // characters (a trailing slash is dropped); `api_version` is "YYYY-MM" (a
  // month from 01 to 12) for the date-versioned API or "v4" for the legacy /crm/v4 path.
  // INVALID_ARGUMENT naming the flag otherwise.
  static absl::StatusOr<HubSpotEndpoint> Create(absl::string_view base_url,
                                                absl::string_view api_version);

  // https://api.hubapi.com with the default version.
  HubSpotEndpoint();

  const std::string& base_url() const { return base_url_; }
  const std::string& api_version() const { return api_version_; }

  // The URL of the batch call at `call_path` ("batch/archive") for two
  // (validated) object types.
  std::string BatchUrl(absl::string_view from_object_type, absl::string_view to_object_type,
                       absl::string_view call_path) const;

 private:
  HubSpotEndpoint(std::string base_url, std::string api_version);

  std::string base_url_;
  std::string api_version_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ENDPOINT_H_
