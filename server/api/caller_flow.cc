#include "server/api/caller_flow.h"

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/api/stream_share.h"

namespace hubspot_gateway {

absl::StatusOr<std::string> CallerFlow(const CallerIdentity& identity,
                                       const CallMetadata& metadata) {
  std::string label;
  if (auto it = metadata.find("x-archive-caller"); it != metadata.end()) {
    constexpr size_t kMaxCallerLength = 64;
    const absl::string_view value(it->second.data(), it->second.size());
    if (value.empty() || value.size() > kMaxCallerLength ||
        !absl::c_all_of(value, absl::ascii_isgraph)) {
      return absl::InvalidArgumentError(
          "the 'x-archive-caller' metadata must be 1-64 printable ASCII characters");
    }
    label = std::string(value);
  }
  if (!identity.mtls_identity.empty()) return absl::StrCat("mtls:", identity.mtls_identity);
  if (identity.caller != nullptr) return absl::StrCat("key:", identity.caller->name);
  if (!label.empty()) return absl::StrCat("caller:", label);
  return absl::StrCat("peer:", CallerOfPeer(identity.peer));
}

}  // namespace hubspot_gateway
