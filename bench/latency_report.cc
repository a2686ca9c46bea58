#include "bench/latency_report.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace hubspot_gateway::bench {

absl::Duration LatencyReport::Percentile(double fraction) {
  if (latencies_.empty()) return absl::ZeroDuration();
  if (!sorted_) {
    std::sort(latencies_.begin(), latencies_.end());
    sorted_ = true;
  }
  const size_t index =
      std::min(latencies_.size() - 1, static_cast<size_t>(fraction * latencies_.size()));
  return latencies_[index];
}

std::string LatencyReport::Summary(absl::Duration wall) {
  const double seconds = absl::ToDoubleSeconds(wall);
  return absl::StrFormat(
      "calls=%d errors=%d seconds=%.3f throughput=%.1f/s p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
      "max_ms=%.3f",
      latencies_.size(), errors_, seconds, seconds > 0 ? latencies_.size() / seconds : 0,
      absl::ToDoubleMilliseconds(Percentile(0.5)), absl::ToDoubleMilliseconds(Percentile(0.9)),
      absl::ToDoubleMilliseconds(Percentile(0.99)), absl::ToDoubleMilliseconds(Percentile(1.0)));
}

}  // namespace hubspot_gateway::bench
