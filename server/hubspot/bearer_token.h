// What makes a HubSpot token sendable in an `Authorization: Bearer` header.
// Pure function: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_BEARER_TOKEN_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_BEARER_TOKEN_H_

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace hubspot_gateway {

// 1-4096 visible ASCII characters: nothing that could split or inject a header.
inline bool IsWellFormedToken(absl::string_view token) {
  constexpr size_t kMaxTokenLength = 4096;
  return !token.empty() && token.size() <= kMaxTokenLength &&
         absl::c_all_of(token, absl::ascii_isgraph);
}

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_BEARER_TOKEN_H_
