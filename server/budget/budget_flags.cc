#include "server/budget/budget_flags.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/common/files.h"
#include "server/redis/redis_url.h"

namespace {
const hubspot_gateway::BudgetPolicy kBudgetDefaults;
const hubspot_gateway::BudgetStoreOptions kStoreDefaults;
}  // namespace

ABSL_FLAG(int, rate_limit_per_10s, kBudgetDefaults.max_requests,
          "Upstream requests per token per rolling 10 s until HubSpot's X-HubSpot-RateLimit-* "
          "headers say otherwise; 429s lower it, and it climbs back by one per interval. "
          "HubSpot's tiers allow 100, 190 or 250 per 10 s (README, \"Rate limits\"): the "
          "default is the lowest, and --discover_rate_limit raises it while requests succeed. "
          "0: no limit of the gateway's own");
ABSL_FLAG(bool, discover_rate_limit, kBudgetDefaults.discover,
          "While HubSpot sends no X-HubSpot-RateLimit-Max header, treat --rate_limit_per_10s as "
          "a first guess: raise the limit while requests succeed with the window half used or "
          "more, and after a 429 hold what the window held, climbing past it by one per "
          "interval only once a whole window was accepted; past every HubSpot tier (300 per "
          "10 s accepted) stop pacing until a 429 (headers, when present, stay authoritative)");
ABSL_FLAG(double, bulk_budget_share, kBudgetDefaults.bulk_share,
          "Share of each rate window that bulk work (streams, or x-archive-priority: bulk) "
          "may use; the rest stays for interactive calls");
ABSL_FLAG(absl::Duration, max_retry_after, kBudgetDefaults.max_pause,
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

absl::StatusOr<BudgetPolicy> BudgetPolicyFromFlags() {
  BudgetPolicy policy;
  policy.max_requests = absl::GetFlag(FLAGS_rate_limit_per_10s);
  if (policy.max_requests < 0) {
    return absl::InvalidArgumentError("--rate_limit_per_10s must not be negative (0: no limit)");
  }
  policy.interval = absl::Seconds(10);
  policy.discover = absl::GetFlag(FLAGS_discover_rate_limit);
  policy.bulk_share = absl::GetFlag(FLAGS_bulk_budget_share);
  if (!(policy.bulk_share > 0 && policy.bulk_share <= 1)) {
    return absl::InvalidArgumentError("--bulk_budget_share must be in (0, 1]");
  }
  policy.max_pause = absl::GetFlag(FLAGS_max_retry_after);
  if (policy.max_pause < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--max_retry_after must not be negative");
  }
  return policy;
}

absl::StatusOr<std::optional<BudgetStoreOptions>> BudgetStoreOptionsFromFlags(
    EnvironmentLookup environment, std::vector<std::string>* warnings) {
  const std::string url = absl::GetFlag(FLAGS_budget_store);
  if (url.empty()) return std::nullopt;
  BudgetStoreOptions options;
  absl::StatusOr<RedisConnectionOptions> redis = ParseRedisUrl(url);
  if (!redis.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--budget_store: ", redis.status().message()));
  }
  options.redis = *std::move(redis);
  if (const std::string file = absl::GetFlag(FLAGS_budget_store_password_file); !file.empty()) {
    absl::StatusOr<std::string> password = ReadFileToString("--budget_store_password_file", file);
    if (!password.ok()) return password.status();
    options.redis.password = std::string(absl::StripTrailingAsciiWhitespace(*password));
    if (auto warning = ReadableByOthersWarning("--budget_store_password_file", file)) {
      warnings->push_back(*std::move(warning));
    }
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
