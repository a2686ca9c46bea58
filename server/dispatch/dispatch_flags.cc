#include "server/dispatch/dispatch_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "server/common/files.h"
#include "server/hubspot/endpoint_flags.h"

namespace {
const hubspot_gateway::ArchiverOptions kArchiverDefaults;
const hubspot_gateway::DispatchOptions kDispatchDefaults;
const hubspot_gateway::BudgetStoreOptions kStoreDefaults;
}  // namespace

ABSL_FLAG(int, max_concurrent_requests_per_call, kArchiverDefaults.max_concurrent_requests_per_call,
          "Chunks of one call (requests of one stream) handed to the dispatcher at once");
ABSL_FLAG(int, max_inputs_per_request, kDispatchDefaults.max_inputs_per_request,
          "Inputs (and to-ids per input) per upstream request: larger calls are chunked, "
          "smaller ones coalesced up to it");
ABSL_FLAG(absl::Duration, coalesce_window, kDispatchDefaults.coalesce_window,
          "How long a partial upstream request may wait for other calls to join it (0: it "
          "goes as soon as the budget's pacing allows)");
ABSL_FLAG(absl::Duration, upstream_timeout, kDispatchDefaults.upstream_timeout,
          "Longest one upstream attempt may take (the caller's deadline also bounds it)");
ABSL_FLAG(int, max_attempts, kDispatchDefaults.retry.max_attempts,
          "Attempts per upstream request, the first included (1 disables retries)");
ABSL_FLAG(absl::Duration, initial_backoff, kDispatchDefaults.backoff.initial_delay,
          "Ceiling of the first retry's jittered wait; it doubles per retry");
ABSL_FLAG(absl::Duration, max_backoff, kDispatchDefaults.backoff.max_delay,
          "Largest ceiling of a retry's jittered wait");
ABSL_FLAG(int, rate_limit_per_10s, kDispatchDefaults.budget.max_requests,
          "Upstream requests per token per rolling 10 s until HubSpot's X-HubSpot-RateLimit-* "
          "headers say otherwise; 429s lower it, and it climbs back by one per interval. "
          "Default: HubSpot's documented associations limit (Professional/Enterprise). "
          "0: no limit of the gateway's own");
ABSL_FLAG(double, bulk_budget_share, kDispatchDefaults.budget.bulk_share,
          "Share of each rate window that bulk work (streams, or x-archive-priority: bulk) "
          "may use; the rest stays for interactive calls");
ABSL_FLAG(absl::Duration, max_retry_after, kDispatchDefaults.budget.max_pause,
          "Longest pause a Retry-After header (or a DAILY 429) may impose on a token");
ABSL_FLAG(std::string, budget_store, "",
          "redis://HOST:PORT[/DB]: replicas share each token's budget in this Redis "
          "(empty: each gateway plans alone). The password comes from "
          "--budget_store_password_file or $REDIS_PASSWORD");
ABSL_FLAG(std::string, budget_store_password_file, "",
          "File holding the password of --budget_store (else $REDIS_PASSWORD)");
ABSL_FLAG(int, budget_store_replicas, kStoreDefaults.replicas,
          "Replicas expected to share a token: while --budget_store is out of reach, each "
          "plans with limit / this");
ABSL_FLAG(absl::Duration, budget_store_timeout, kStoreDefaults.redis.command_timeout,
          "A budget store reply later than this counts as Redis down: budgets fall back to "
          "their local share until it answers again");

namespace hubspot_gateway {

absl::StatusOr<ArchiverOptions> ArchiverOptionsFromFlags() {
  ArchiverOptions options;
  absl::StatusOr<HubSpotEndpoint> endpoint = HubSpotEndpointFromFlags();
  if (!endpoint.ok()) return endpoint.status();
  options.endpoint = *std::move(endpoint);
  options.max_concurrent_requests_per_call = absl::GetFlag(FLAGS_max_concurrent_requests_per_call);
  if (options.max_concurrent_requests_per_call < 1) {
    return absl::InvalidArgumentError("--max_concurrent_requests_per_call must be at least 1");
  }
  return options;
}

absl::StatusOr<DispatchOptions> DispatchOptionsFromFlags() {
  DispatchOptions options;
  options.max_inputs_per_request = absl::GetFlag(FLAGS_max_inputs_per_request);
  if (options.max_inputs_per_request < 1) {
    return absl::InvalidArgumentError("--max_inputs_per_request must be at least 1");
  }
  options.coalesce_window = absl::GetFlag(FLAGS_coalesce_window);
  if (options.coalesce_window < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--coalesce_window must not be negative");
  }
  options.upstream_timeout = absl::GetFlag(FLAGS_upstream_timeout);
  if (options.upstream_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--upstream_timeout must be positive");
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
  options.budget.max_requests = absl::GetFlag(FLAGS_rate_limit_per_10s);
  if (options.budget.max_requests < 0) {
    return absl::InvalidArgumentError("--rate_limit_per_10s must not be negative (0: no limit)");
  }
  options.budget.interval = absl::Seconds(10);
  options.budget.bulk_share = absl::GetFlag(FLAGS_bulk_budget_share);
  if (!(options.budget.bulk_share > 0 && options.budget.bulk_share <= 1)) {
    return absl::InvalidArgumentError("--bulk_budget_share must be in (0, 1]");
  }
  options.budget.max_pause = absl::GetFlag(FLAGS_max_retry_after);
  if (options.budget.max_pause < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--max_retry_after must not be negative");
  }
  return options;
}

absl::StatusOr<std::optional<BudgetStoreOptions>> BudgetStoreOptionsFromFlags(
    EnvironmentLookup environment) {
  const std::string url = absl::GetFlag(FLAGS_budget_store);
  if (url.empty()) return std::nullopt;
  BudgetStoreOptions options;
  absl::StatusOr<RedisConnectionOptions> redis = ParseRedisUrl(url);
  if (!redis.ok()) return redis.status();
  options.redis = *std::move(redis);
  if (const std::string file = absl::GetFlag(FLAGS_budget_store_password_file); !file.empty()) {
    absl::StatusOr<std::string> password = ReadFileToString("--budget_store_password_file", file);
    if (!password.ok()) return password.status();
    options.redis.password = std::string(absl::StripTrailingAsciiWhitespace(*password));
  } else if (std::optional<std::string> password = environment("REDIS_PASSWORD")) {
    options.redis.password = *std::move(password);
  }
  options.replicas = absl::GetFlag(FLAGS_budget_store_replicas);
  if (options.replicas < 1) {
    return absl::InvalidArgumentError("--budget_store_replicas must be at least 1");
  }
  options.redis.command_timeout = absl::GetFlag(FLAGS_budget_store_timeout);
  if (options.redis.command_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--budget_store_timeout must be positive");
  }
  return options;
}

}  // namespace hubspot_gateway
