// GatewayConfig: the gateway's settings, built once at startup from flags and
// the environment, validated, then shared read-only by every call.
// Immutable after BuildGatewayConfig returns: safe to read from any thread.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_GATEWAY_CONFIG_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_GATEWAY_CONFIG_H_

#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "server/bearer_token.h"
#include "server/call_log.h"
#include "server/caller_registry.h"
#include "server/retry_policy.h"

namespace hubspot_gateway {

// Where each call's HubSpot token comes from.
enum class AuthMode {
  // The gateway's own token (HUBSPOT_ACCESS_TOKEN or --hubspot_token_file).
  kGatewayToken,
  // The caller's `authorization: Bearer ...` metadata, forwarded as is.
  kPassthrough,
  // The token registered (--callers_file) for the caller's `x-api-key`.
  kCallerKeys,
};

// The command line as given (see server/gateway_flags.cc for the flags).
struct GatewayFlags {
  std::string listen = "127.0.0.1:50051";
  std::string port_file;
  std::string hubspot_base_url = "https://api.hubapi.com";
  std::string hubspot_api_version = "2026-03";
  std::string hubspot_token_file;
  std::string auth_mode = "gateway_token";
  absl::Duration upstream_timeout = absl::Seconds(30);
  absl::Duration shutdown_grace = absl::Seconds(10);
  int max_upstream_connections = 100;
  int max_inputs_per_request = 100;
  int max_concurrent_requests_per_call = 4;
  int max_in_flight_calls = 10000;
  int rate_limit_per_10s = 190;
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  std::string log_format = "text";
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  std::string callers_file;
};

// TLS for the gRPC listener, as PEM text read at startup.
struct ListenerTls {
  std::string certificate_chain;
  std::string private_key;  // A secret: never log it.
  // When set, callers must present a certificate signed by one of these.
  std::string client_ca;
};

struct GatewayConfig {
  std::string listen;
  std::string port_file;
  // Without a trailing slash, e.g. "https://api.hubapi.com".
  std::string hubspot_base_url;
  // "YYYY-MM" for the date-versioned API, or "v4" for the legacy path.
  std::string hubspot_api_version;
  AuthMode auth_mode = AuthMode::kGatewayToken;
  // The gateway's own token; empty in passthrough mode. Never log it.
  std::string gateway_token;
  absl::Duration upstream_timeout;
  absl::Duration shutdown_grace;
  int max_upstream_connections = 0;
  // Upstream requests carry at most this many inputs (and `to` ids per input).
  int max_inputs_per_request = 0;
  // Chunks of one call in flight at once.
  int max_concurrent_requests_per_call = 0;
  // Calls beyond this many in flight are refused with RESOURCE_EXHAUSTED.
  int max_in_flight_calls = 0;
  RetryPolicy retry;
  BackoffPolicy backoff;
  LogFormat log_format = LogFormat::kText;
  // Plain-text listener when absent.
  absl::optional<ListenerTls> tls;
  // With AuthMode::kCallerKeys: who may call, and with which HubSpot token.
  std::shared_ptr<const CallerRegistry> callers;
  // Requests per token per rolling 10 s, until HubSpot's headers say otherwise.
  int rate_limit_per_10s = 0;

  // The batch/archive URL for two (validated) object types.
  std::string ArchiveUrl(absl::string_view from_object_type,
                         absl::string_view to_object_type) const;
};

// Reads an environment variable; absl::nullopt when unset.
using EnvironmentLookup = absl::FunctionRef<absl::optional<std::string>(const char*)>;

// Validates `flags` and resolves the token (HUBSPOT_ACCESS_TOKEN, then
// --hubspot_token_file). INVALID_ARGUMENT or FAILED_PRECONDITION explains what
// to fix; no message ever contains a token.
absl::StatusOr<GatewayConfig> BuildGatewayConfig(const GatewayFlags& flags,
                                                 EnvironmentLookup environment);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_GATEWAY_CONFIG_H_
