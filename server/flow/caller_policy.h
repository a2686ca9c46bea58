// CallerPolicy is what one caller (a flow) may do and how much of its
// token's budget it may take: a weight among the flows of a lane, a maximum
// share of each lane's window, and the calls (archive, labels) and
// object-type pairs it may use. Read from --callers_file; a caller without a
// policy gets the default one (weight 1, any share, everything allowed).
// Immutable once parsed: thread-safe.
//
// In --callers_file, an optional "policy" object per caller:
//   "policy": {"weight": 2,                  // or "max_share": 0.25 (0 < s <= 1)
//              "calls": ["archive"],         // of "archive", "labels"
//              "object_types": ["contacts/companies", "deals/*"]}
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_FLOW_CALLER_POLICY_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_FLOW_CALLER_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hubspot_gateway {

struct CallerPolicy {
  // Relative to other flows of the same lane (each 1 by default).
  double weight = 1.0;
  // The largest share of a lane's rate window this caller may hold.
  double max_share = 1.0;
  // Empty: any. Calls are "archive" and "labels"; pairs "from/to", where
  // "*" stands for any object type.
  std::vector<std::string> calls;
  std::vector<std::string> object_types;

  // OK, or PERMISSION_DENIED naming the call or the pair not allowed.
  absl::Status Allows(absl::string_view call, absl::string_view from_object_type,
                      absl::string_view to_object_type) const;
};

// Parses a "policy" object; INVALID_ARGUMENT prefixed with `where`.
absl::StatusOr<CallerPolicy> ParseCallerPolicy(const nlohmann::json& policy,
                                               absl::string_view where);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_FLOW_CALLER_POLICY_H_
