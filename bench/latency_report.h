// Collects per-call latencies and prints one benchmark result line set:
// throughput, p50/p90/p99/max and errors. Not thread-safe: record from one
// thread or under the caller's lock.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_BENCH_LATENCY_REPORT_H_
#define HUBSPOT_ARCHIVE_GATEWAY_BENCH_LATENCY_REPORT_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace hubspot_gateway::bench {

class LatencyReport {
 public:
  void Record(absl::Duration latency, bool ok) {
    latencies_.push_back(latency);
    errors_ += ok ? 0 : 1;
  }

  // "calls=N errors=N seconds=S throughput=X/s p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.."
  std::string Summary(absl::Duration wall);

  int errors() const { return errors_; }

  // The latency below which `fraction` of the calls fell (0 when none).
  absl::Duration Percentile(double fraction);

 private:
  std::vector<absl::Duration> latencies_;
  bool sorted_ = false;
  int errors_ = 0;
};

}  // namespace hubspot_gateway::bench

#endif  // HUBSPOT_ARCHIVE_GATEWAY_BENCH_LATENCY_REPORT_H_
