#include "server/dispatch/concurrency_limit.h"

#include <algorithm>
#include <cmath>

namespace hubspot_gateway {

ConcurrencyLimit::ConcurrencyLimit(const ConcurrencyLimitOptions& options)
    : options_(options),
      floor_(std::clamp(options.min, 1, std::max(1, options.max))),
      ceiling_(std::max(1, options.max)),
      estimate_(std::clamp<double>(options.initial, floor_, ceiling_)) {}

void ConcurrencyLimit::OnAnswer(absl::Duration rtt, int in_flight) {
  const double sample = std::max(absl::ToDoubleSeconds(rtt), 1e-6);
  if (long_rtt_ == 0) {
    long_rtt_ = sample;
  } else {
    long_rtt_ += (sample - long_rtt_) / options_.long_window;
    // After a slow spell the average comes back down faster.
    if (long_rtt_ / sample > 2) long_rtt_ *= 0.95;
  }
  // Too little in flight to tell whether more would help.
  if (in_flight < estimate_ / 2) return;
  const double gradient = std::clamp(options_.tolerance * long_rtt_ / sample, 0.5, 1.0);
  const double proposed = estimate_ * gradient + std::sqrt(estimate_);
  estimate_ = std::clamp(estimate_ * (1 - options_.smoothing) + proposed * options_.smoothing,
                         floor_, ceiling_);
}

void ConcurrencyLimit::OnFailure() { estimate_ = std::max(floor_, estimate_ * 0.9); }

}  // namespace hubspot_gateway
