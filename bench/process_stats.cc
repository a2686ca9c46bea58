#include "bench/process_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hubspot_gateway::bench {

ProcessStats ReadProcessStats(pid_t pid) {
  ProcessStats stats;
  std::ifstream stat_file(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name; utime and stime are 14 and 15.
  const size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
    int64_t utime = 0, stime = 0;
    if (fields.size() > 12 && absl::SimpleAtoi(fields[11], &utime) &&
        absl::SimpleAtoi(fields[12], &stime)) {
      stats.cpu_seconds = static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
    }
  }
  std::ifstream status_file(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status_file, line)) {
    absl::string_view view = line;
    int64_t value = 0;
    auto read = [&](absl::string_view key, auto* out) {
      if (absl::ConsumePrefix(&view, key) &&
          absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(view), " kB"), &value)) {
        *out = static_cast<std::remove_pointer_t<decltype(out)>>(value);
      }
    };
    read("VmHWM:", &stats.peak_rss_kib);
    read("Threads:", &stats.threads);
  }
  return stats;
}

}  // namespace hubspot_gateway::bench
