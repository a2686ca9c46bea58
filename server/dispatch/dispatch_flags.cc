#include "server/dispatch/dispatch_flags.h"

#include "absl/flags/flag.h"
#include "server/hubspot/endpoint_flags.h"

namespace {
const hubspot_gateway::ArchiverOptions kArchiverDefaults;
constexpr absl::Duration kRateInterval = absl::Seconds(10);
}  // namespace

ABSL_FLAG(absl::Duration, upstream_timeout, kArchiverDefaults.upstream_timeout,
          "Longest one upstream attempt may take (the caller's deadline also bounds it)");
ABSL_FLAG(int, max_inputs_per_request, kArchiverDefaults.max_inputs_per_request,
          "Inputs (and to-ids per input) per upstream request; larger calls are chunked");
ABSL_FLAG(int, max_concurrent_requests_per_call,
          kArchiverDefaults.max_concurrent_requests_per_call,
          "Chunks of one call (requests of one stream) archived at once");
ABSL_FLAG(int, max_attempts, kArchiverDefaults.retry.max_attempts,
          "Attempts per upstream request, the first included (1 disables retries)");
ABSL_FLAG(absl::Duration, initial_backoff, kArchiverDefaults.backoff.initial_delay,
          "Ceiling of the first retry's jittered wait; it doubles per retry");
ABSL_FLAG(absl::Duration, max_backoff, kArchiverDefaults.backoff.max_delay,
          "Largest ceiling of a retry's jittered wait");
ABSL_FLAG(int, rate_limit_per_10s, hubspot_gateway::RateBudget().max_requests,
          "Upstream requests per token per rolling 10 s (HubSpot's X-HubSpot-RateLimit-* "
          "headers override it); 0 disables pacing");

namespace hubspot_gateway {

absl::StatusOr<ArchiverOptions> ArchiverOptionsFromFlags() {
  ArchiverOptions options;
  absl::StatusOr<HubSpotEndpoint> endpoint = HubSpotEndpointFromFlags();
  if (!endpoint.ok()) return endpoint.status();
  options.endpoint = *std::move(endpoint);
  options.upstream_timeout = absl::GetFlag(FLAGS_upstream_timeout);
  if (options.upstream_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--upstream_timeout must be positive");
  }
  options.max_inputs_per_request = absl::GetFlag(FLAGS_max_inputs_per_request);
  if (options.max_inputs_per_request < 1) {
    return absl::InvalidArgumentError("--max_inputs_per_request must be at least 1");
  }
  options.max_concurrent_requests_per_call = absl::GetFlag(FLAGS_max_concurrent_requests_per_call);
  if (options.max_concurrent_requests_per_call < 1) {
    return absl::InvalidArgumentError("--max_concurrent_requests_per_call must be at least 1");
  }
  options.retry.max_attempts = absl::GetFlag(FLAGS_max_attempts);
  if (options.retry.max_attempts < 1) {
    return absl::InvalidArgumentError("--max_attempts must be at least 1");
  }
  options.backoff.initial_delay = absl::GetFlag(FLAGS_initial_backoff);
  options.backoff.max_delay = absl::GetFlag(FLAGS_max_backoff);
  if (options.backoff.initial_delay <= absl::ZeroDuration() ||
      options.backoff.max_delay < options.backoff.initial_delay) {
    return absl::InvalidArgumentError(
        "--initial_backoff must be positive and not above --max_backoff");
  }
  return options;
}

absl::StatusOr<RateBudget> RateBudgetFromFlags() {
  RateBudget budget;
  budget.max_requests = absl::GetFlag(FLAGS_rate_limit_per_10s);
  budget.interval = kRateInterval;
  if (budget.max_requests < 0) {
    return absl::InvalidArgumentError("--rate_limit_per_10s must not be negative (0: no limit)");
  }
  return budget;
}

}  // namespace hubspot_gateway
