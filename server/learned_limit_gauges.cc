#include "server/learned_limit_gauges.h"

#include <algorithm>

namespace hubspot_gateway {

LearnedLimitGauges::LearnedLimitGauges(prometheus::Registry& registry, size_t max_labels)
    : max_labels_(max_labels),
      family_(prometheus::BuildGauge()
                  .Name("gateway_learned_rate_limit_requests_per_second")
                  .Help("The rate limit each HubSpot token is planned with, in requests per "
                        "second; token is the first 8 hex digits of the token's SHA-256, or "
                        "\"other\" (the lowest limit among tokens without a label of their own)")
                  .Register(registry)) {}

void LearnedLimitGauges::Set(absl::string_view fingerprint, int requests, absl::Duration interval) {
  const double per_second =
      interval > absl::ZeroDuration() ? requests / absl::ToDoubleSeconds(interval) : 0;
  absl::MutexLock lock(&mu_);
  if (auto it = labelled_.find(fingerprint); it != labelled_.end()) {
    it->second->Set(per_second);
    return;
  }
  if (auto it = others_.find(fingerprint); it == others_.end() && labelled_.size() < max_labels_) {
    prometheus::Gauge& gauge = family_.Add({{"token", std::string(fingerprint)}});
    gauge.Set(per_second);
    labelled_.emplace(fingerprint, &gauge);
    return;
  }
  others_[fingerprint] = per_second;
  UpdateOther();
}

void LearnedLimitGauges::Forget(absl::string_view fingerprint) {
  absl::MutexLock lock(&mu_);
  if (auto it = labelled_.find(fingerprint); it != labelled_.end()) {
    family_.Remove(it->second);
    labelled_.erase(it);
  } else if (others_.erase(fingerprint) > 0) {
    UpdateOther();
  }
}

void LearnedLimitGauges::UpdateOther() {
  if (others_.empty()) {
    if (other_ != nullptr) family_.Remove(other_);
    other_ = nullptr;
    return;
  }
  double lowest = others_.begin()->second;
  for (const auto& [fingerprint, per_second] : others_) lowest = std::min(lowest, per_second);
  if (other_ == nullptr) other_ = &family_.Add({{"token", "other"}});
  other_->Set(lowest);
}

}  // namespace hubspot_gateway
