#include "server/dispatch/dispatch_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "server/budget/budget_flags.h"

namespace {
const hubspot_gateway::DispatchOptions kDispatchDefaults;
// The largest request the gateway sends unless told otherwise: HubSpot
// documents no larger batch for archive (HUBSPOT_API.md), and a request it
// refuses fails every input in it.
constexpr int kUsualMaxInputsPerRequest = 100;
}  // namespace

ABSL_FLAG(int, max_inputs_per_request, kDispatchDefaults.max_inputs_per_request,
          "Inputs (and to-ids per input) per upstream request: larger calls are chunked, "
          "smaller ones coalesced up to it. Above 100 needs "
          "--allow_max_inputs_per_request_above_100");
ABSL_FLAG(bool, allow_max_inputs_per_request_above_100, false,
          "Let --max_inputs_per_request exceed 100, the largest batch HubSpot is known to "
          "accept for archive: only for an account known to take more, since a request "
          "HubSpot refuses fails every input in it");
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
ABSL_FLAG(int, max_requests_in_flight_per_token, kDispatchDefaults.concurrency.max,
          "Most upstream requests one token may have in flight; below it the number follows "
          "HubSpot's latency (an adaptive limit, starting at 20, growing while answers come as "
          "fast as usual). A call may hand the dispatcher as many chunks as this limit allows "
          "when it exceeds --max_concurrent_requests_per_call. 0: no limit per token, each "
          "call hands --max_concurrent_requests_per_call at once");

namespace hubspot_gateway {

absl::StatusOr<DispatchOptions> DispatchOptionsFromFlags() {
  DispatchOptions options;
  options.max_inputs_per_request = absl::GetFlag(FLAGS_max_inputs_per_request);
  if (options.max_inputs_per_request < 1) {
    return absl::InvalidArgumentError("--max_inputs_per_request must be at least 1");
  }
  if (options.max_inputs_per_request > kUsualMaxInputsPerRequest &&
      !absl::GetFlag(FLAGS_allow_max_inputs_per_request_above_100)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_inputs_per_request=", options.max_inputs_per_request, " is above ",
        kUsualMaxInputsPerRequest,
        ", the largest batch HubSpot is known to accept for archive; a request it refuses "
        "fails every input in it. Add --allow_max_inputs_per_request_above_100 if your "
        "account takes more"));
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
  options.concurrency.max = absl::GetFlag(FLAGS_max_requests_in_flight_per_token);
  if (options.concurrency.max < 0) {
    return absl::InvalidArgumentError(
        "--max_requests_in_flight_per_token must not be negative (0: no limit)");
  }
  absl::StatusOr<BudgetPolicy> budget = BudgetPolicyFromFlags();
  if (!budget.ok()) return budget.status();
  options.budget = *budget;
  return options;
}

}  // namespace hubspot_gateway
