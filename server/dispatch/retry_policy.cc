#include "server/dispatch/retry_policy.h"

#include <algorithm>
#include <cmath>

#include "absl/random/distributions.h"
#include "absl/strings/match.h"
#include "server/hubspot/upstream_error_status.h"

namespace hubspot_gateway {

bool RetryPolicy::IsTransient(const absl::Status& failure) const {
  switch (failure.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    case absl::StatusCode::kResourceExhausted: {
      const auto upstream = GetUpstreamError(failure);
      if (!upstream.has_value()) return false;
      return upstream->policy_name() == "TEN_SECONDLY_ROLLING" ||
             (upstream->policy_name().empty() &&
              absl::StrContains(upstream->message(), "secondly limit"));
    }
    default:
      return false;
  }
}

absl::Duration BackoffPolicy::DelayBefore(int retry, absl::Duration retry_after,
                                          absl::BitGenRef random) const {
  const double ceiling_seconds =
      std::min(absl::ToDoubleSeconds(max_delay),
               absl::ToDoubleSeconds(initial_delay) * std::pow(multiplier, retry - 1));
  const absl::Duration jittered =
      absl::Seconds(absl::Uniform(absl::IntervalClosed, random, 0.0, ceiling_seconds));
  return std::max(jittered, retry_after);
}

}  // namespace hubspot_gateway
