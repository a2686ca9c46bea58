#include "server/dispatch/retry_policy.h"

#include <algorithm>
#include <cmath>

#include "absl/random/distributions.h"

namespace hubspot_gateway {

bool RetryPolicy::IsRetryable(AnswerOutcome outcome) {
  return outcome == AnswerOutcome::kTransient || outcome == AnswerOutcome::kRollingLimit;
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
