// Parses JSON from files and input lines people write by hand, refusing what
// nlohmann::json would silently accept: an object with the same key twice
// (the last one would win, so {"from":"1","to":"2","to":"3"} archived 1:3).
// Never throws. Pure function: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_STRICT_JSON_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_STRICT_JSON_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hubspot_gateway {

// The JSON value of `text`; INVALID_ARGUMENT when it is not JSON, or when an
// object holds a key twice (naming the key).
absl::StatusOr<nlohmann::json> ParseStrictJson(absl::string_view text);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_STRICT_JSON_H_
