// CallerAuth decides which HubSpot token a gRPC call spends, from the call's
// metadata and the gateway's auth mode: the gateway's own token, the
// caller's `authorization: Bearer` token, or the token registered for the
// caller's `x-api-key`. Immutable: thread-safe. Never puts a token in a message.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALLER_AUTH_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALLER_AUTH_H_

#include <grpcpp/support/string_ref.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/api/caller_registry.h"

namespace hubspot_gateway {

using CallMetadata = std::multimap<grpc::string_ref, grpc::string_ref>;

// Where each call's HubSpot token comes from (--auth_mode).
enum class AuthMode {
  // The gateway's own token (HUBSPOT_ACCESS_TOKEN or --hubspot_token_file).
  kGatewayToken,
  // The caller's `authorization: Bearer ...` metadata, forwarded as is.
  kPassthrough,
  // The token registered (--callers_file) for the caller's `x-api-key`.
  kCallerKeys,
};

// "gateway_token", "passthrough", "caller_keys" (for ABSL_FLAG).
bool AbslParseFlag(absl::string_view text, AuthMode* mode, std::string* error);
std::string AbslUnparseFlag(AuthMode mode);

// The token in an `authorization` metadata value "Bearer <token>" (the scheme
// is case-insensitive); UNAUTHENTICATED when absent or malformed.
absl::StatusOr<std::string> BearerTokenFromMetadata(const CallMetadata& metadata);

class CallerAuth {
 public:
  // Every call spends `token` (a well-formed token).
  static CallerAuth GatewayToken(std::string token);
  // Every call spends its own bearer token.
  static CallerAuth Passthrough();
  // Every call spends the token registered for its API key.
  static CallerAuth CallerKeys(std::shared_ptr<const CallerRegistry> callers);

  AuthMode mode() const { return mode_; }

  // The token for a call with `metadata`; UNAUTHENTICATED, saying what to
  // send, when the call brings no usable credentials (an empty `x-api-key`
  // never authenticates, and is named as such).
  absl::StatusOr<std::string> TokenFor(const CallMetadata& metadata) const;
  // In caller_keys mode, the registered caller of the call's `x-api-key`;
  // nullptr otherwise.
  const Caller* CallerFor(const CallMetadata& metadata) const;

 private:
  CallerAuth(AuthMode mode, std::string gateway_token,
             std::shared_ptr<const CallerRegistry> callers);

  AuthMode mode_;
  std::string gateway_token_;  // A secret: never log it.
  std::shared_ptr<const CallerRegistry> callers_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALLER_AUTH_H_
