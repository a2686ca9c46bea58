// ProcessMetrics: the standard process_* metrics Prometheus's own clients
// export, read from /proc on every scrape: process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds and
// process_threads. A read that fails leaves its metrics out of that scrape
// (never a made-up value). Linux only. Thread-safe (no state: Collect reads
// /proc each time, on the exposer's threads).
//
//   exposer.RegisterCollectable(std::make_shared<ProcessMetrics>());
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_PROCESS_METRICS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_PROCESS_METRICS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace hubspot_gateway {

// What /proc/<pid>/stat says, in its own units (proc(5)).
struct ProcStat {
  // User and system CPU time, in clock ticks.
  int64_t user_ticks = 0;
  int64_t system_ticks = 0;
  int64_t threads = 0;
  // Clock ticks after boot when the process started.
  int64_t start_ticks = 0;
  int64_t virtual_bytes = 0;
  int64_t resident_pages = 0;
};

// Parses /proc/<pid>/stat (the command name may hold spaces and parentheses);
// INVALID_ARGUMENT when it is not that file's shape.
absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text);

// The boot time (Unix seconds) from /proc/stat's "btime" line.
absl::StatusOr<int64_t> ParseBootTime(absl::string_view proc_stat);

// The soft limit of "Max open files" from /proc/<pid>/limits; -1 for "unlimited".
absl::StatusOr<int64_t> ParseMaxOpenFiles(absl::string_view limits);

class ProcessMetrics final : public prometheus::Collectable {
 public:
  // Reads /proc/self (the default) or another process's directory (tests).
  explicit ProcessMetrics(std::string proc_dir = "/proc/self",
                          std::string proc_stat = "/proc/stat");

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::string proc_dir_;
  const std::string proc_stat_;
  const int64_t ticks_per_second_;
  const int64_t page_bytes_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_PROCESS_METRICS_H_
