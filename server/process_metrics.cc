#include "server/process_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/common/files.h"

namespace hubspot_gateway {
namespace {

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return {std::move(name), std::move(help), type, {metric}};
}

prometheus::MetricFamily Gauge(std::string name, std::string help, double value) {
  return Family(std::move(name), std::move(help), prometheus::MetricType::Gauge, value);
}

// Entries of `dir` but "." and ".."; -1 when it cannot be read.
int64_t CountEntries(const std::string& dir) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) return -1;
  int64_t count = 0;
  while (const dirent* entry = readdir(handle)) {
    const absl::string_view name = entry->d_name;
    if (name != "." && name != "..") ++count;
  }
  closedir(handle);
  return count;
}

}  // namespace

absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text) {
  // "pid (comm) state ppid ...": comm may hold anything, so fields are
  // counted from the last ')'.
  const size_t close = text.rfind(')');
  if (close == absl::string_view::npos) {
    return absl::InvalidArgumentError("stat: no ')' after the command name");
  }
  const std::vector<absl::string_view> fields =
      absl::StrSplit(absl::StripAsciiWhitespace(text.substr(close + 1)), ' ', absl::SkipEmpty());
  // fields[0] is proc(5)'s field 3 (state); field N is fields[N - 3].
  constexpr size_t kUtime = 14 - 3, kStime = 15 - 3, kThreads = 20 - 3, kStart = 22 - 3,
                   kVsize = 23 - 3, kRss = 24 - 3;
  if (fields.size() <= kRss) {
    return absl::InvalidArgumentError(
        absl::StrCat("stat: ", fields.size() + 2, " fields, want 24"));
  }
  ProcStat stat;
  for (const auto& [index, value] :
       {std::pair{kUtime, &stat.user_ticks}, std::pair{kStime, &stat.system_ticks},
        std::pair{kThreads, &stat.threads}, std::pair{kStart, &stat.start_ticks},
        std::pair{kVsize, &stat.virtual_bytes}, std::pair{kRss, &stat.resident_pages}}) {
    if (!absl::SimpleAtoi(fields[index], value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("stat: field ", index + 3, " is not a number: ", fields[index]));
    }
  }
  return stat;
}

absl::StatusOr<int64_t> ParseBootTime(absl::string_view proc_stat) {
  for (absl::string_view line : absl::StrSplit(proc_stat, '\n')) {
    int64_t seconds = 0;
    if (absl::ConsumePrefix(&line, "btime ") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &seconds)) {
      return seconds;
    }
  }
  return absl::InvalidArgumentError("/proc/stat: no btime line");
}

absl::StatusOr<int64_t> ParseMaxOpenFiles(absl::string_view limits) {
  for (absl::string_view line : absl::StrSplit(limits, '\n')) {
    if (!absl::ConsumePrefix(&line, "Max open files")) continue;
    const std::vector<absl::string_view> columns = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (columns.empty()) break;
    if (columns[0] == "unlimited") return -1;
    int64_t soft = 0;
    if (absl::SimpleAtoi(columns[0], &soft)) return soft;
    break;
  }
  return absl::InvalidArgumentError("limits: no \"Max open files\" soft limit");
}

ProcessMetrics::ProcessMetrics(std::string proc_dir, std::string proc_stat)
    : proc_dir_(std::move(proc_dir)),
      proc_stat_(std::move(proc_stat)),
      ticks_per_second_(sysconf(_SC_CLK_TCK)),
      page_bytes_(sysconf(_SC_PAGESIZE)) {}

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  absl::StatusOr<std::string> stat_text = ReadFileToString("process stat", proc_dir_ + "/stat");
  absl::StatusOr<ProcStat> stat =
      stat_text.ok() ? ParseProcStat(*stat_text) : absl::StatusOr<ProcStat>(stat_text.status());
  if (stat.ok()) {
    const double ticks = static_cast<double>(ticks_per_second_);
    families.push_back(Family("process_cpu_seconds_total",
                              "Total user and system CPU time spent in seconds.",
                              prometheus::MetricType::Counter,
                              static_cast<double>(stat->user_ticks + stat->system_ticks) / ticks));
    families.push_back(Gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                             static_cast<double>(stat->resident_pages * page_bytes_)));
    families.push_back(Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                             static_cast<double>(stat->virtual_bytes)));
    families.push_back(
        Gauge("process_threads", "Number of OS threads.", static_cast<double>(stat->threads)));
    absl::StatusOr<std::string> boot_text = ReadFileToString("system stat", proc_stat_);
    absl::StatusOr<int64_t> boot =
        boot_text.ok() ? ParseBootTime(*boot_text) : absl::StatusOr<int64_t>(boot_text.status());
    if (boot.ok()) {
      families.push_back(Gauge(
          "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
          static_cast<double>(*boot) + static_cast<double>(stat->start_ticks) / ticks));
    }
  }
  if (const int64_t open = CountEntries(proc_dir_ + "/fd"); open >= 0) {
    families.push_back(
        Gauge("process_open_fds", "Number of open file descriptors.", static_cast<double>(open)));
  }
  absl::StatusOr<std::string> limits_text = ReadFileToString("limits", proc_dir_ + "/limits");
  if (limits_text.ok()) {
    if (absl::StatusOr<int64_t> max = ParseMaxOpenFiles(*limits_text); max.ok() && *max >= 0) {
      families.push_back(Gauge("process_max_fds", "Maximum number of open file descriptors.",
                               static_cast<double>(*max)));
    }
  }
  return families;
}

}  // namespace hubspot_gateway
