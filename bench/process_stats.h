// Reads a process's resource use from /proc: CPU seconds, peak RSS, threads.
// For benchmarks on Linux. Pure reads: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_BENCH_PROCESS_STATS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_BENCH_PROCESS_STATS_H_

#include <sys/types.h>

#include <cstdint>

namespace hubspot_gateway::bench {

struct ProcessStats {
  double cpu_seconds = 0;  // user + system
  int64_t peak_rss_kib = 0;
  int threads = 0;
};

// Zeroes when the process or /proc cannot be read.
ProcessStats ReadProcessStats(pid_t pid);

}  // namespace hubspot_gateway::bench

#endif  // HUBSPOT_ARCHIVE_GATEWAY_BENCH_PROCESS_STATS_H_
