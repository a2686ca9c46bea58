#include "server/hubspot/endpoint.h"

#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace hubspot_gateway {
namespace {

// "YYYY-MM" naming a real month: HubSpot's date versions.
bool IsYearMonth(absl::string_view text) {
  int month = 0;
  return text.size() == 7 && text[4] == '-' &&
         absl::c_all_of(text.substr(0, 4), absl::ascii_isdigit) &&
         absl::c_all_of(text.substr(5), absl::ascii_isdigit) &&
         absl::SimpleAtoi(text.substr(5), &month) && month >= 1 && month <= 12;
}

}  // namespace

HubSpotEndpoint::HubSpotEndpoint()
    : HubSpotEndpoint(std::string(kDefaultBaseUrl), std::string(kDefaultApiVersion)) {}

HubSpotEndpoint::HubSpotEndpoint(std::string base_url, std::string api_version)
    : base_url_(std::move(base_url)), api_version_(std::move(api_version)) {}

absl::StatusOr<HubSpotEndpoint> HubSpotEndpoint::Create(absl::string_view base_url,
                                                        absl::string_view api_version) {
  if (!absl::StartsWith(base_url, "https://") && !absl::StartsWith(base_url, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--hubspot_base_url must start with https:// or http://, got \"", base_url, "\""));
  }
  if (!absl::c_all_of(base_url, absl::ascii_isgraph)) {
    return absl::InvalidArgumentError("--hubspot_base_url contains spaces or control bytes");
  }
  if (api_version != "v4" && !IsYearMonth(api_version)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--hubspot_api_version must be YYYY-MM with a month from 01 to 12 (e.g. "
                     "2026-03) or v4, got \"",
                     absl::CHexEscape(api_version), "\""));
  }
  return HubSpotEndpoint(std::string(absl::StripSuffix(base_url, "/")), std::string(api_version));
}

std::string HubSpotEndpoint::BatchUrl(absl::string_view from_object_type,
                                      absl::string_view to_object_type,
                                      absl::string_view call_path) const {
  if (api_version_ == "v4") {
    return absl::StrCat(base_url_, "/crm/v4/associations/", from_object_type, "/", to_object_type,
                        "/", call_path);
  }
  return absl::StrCat(base_url_, "/crm/associations/", api_version_, "/", from_object_type, "/",
                      to_object_type, "/", call_path);
}

}  // namespace hubspot_gateway
