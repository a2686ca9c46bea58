// CallerFlow names the flow a call belongs to: the caller, as the dispatcher
// shares each lane among callers (server/flow/). The first of these that is
// known names it:
//   1. the mTLS client identity          "mtls:<identity>"
//   2. the caller key (caller_keys mode) "key:<registered name>"
//   3. an `x-archive-caller` metadata    "caller:<value>"
//   4. the peer's address                "peer:<address without port>"
// A caller's own label (3) is a hint for fairness, not an identity: a caller
// may choose any, and it never changes which token or policy applies.
// Pure functions: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALLER_FLOW_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALLER_FLOW_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/api/caller_auth.h"
#include "server/api/caller_registry.h"

namespace hubspot_gateway {

// What is known of a call's caller.
struct CallerIdentity {
  // The authenticated mTLS client identity; empty without mutual TLS.
  std::string mtls_identity;
  // The registered caller of its API key; nullptr when none.
  const Caller* caller = nullptr;
  // gRPC's peer string ("ipv4:10.0.0.7:5123").
  std::string peer;
};

// The flow's name; INVALID_ARGUMENT when `x-archive-caller` is present but
// not 1-64 printable ASCII characters.
absl::StatusOr<std::string> CallerFlow(const CallerIdentity& identity,
                                       const CallMetadata& metadata);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALLER_FLOW_H_
