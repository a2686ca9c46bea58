#include "server/process_metrics.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// A real line, its command name made awkward: spaces and a ')'.
constexpr char kStat[] =
    "13625 (my (gate) way) R 13623 13623 24437 0 -1 4194304 101 0 0 0 250 50 0 0 20 0 7 0 "
    "5110741 3133440 408 18446744073709551615 94402700095488 94402700115369 0 0 0 0 0 0 0 0 0 "
    "17 0 0 0 0 0 0\n";

TEST(ParseProcStatTest, ReadsTheFieldsAfterTheCommandName) {
  const absl::StatusOr<ProcStat> stat = ParseProcStat(kStat);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->user_ticks, 250);
  EXPECT_EQ(stat->system_ticks, 50);
  EXPECT_EQ(stat->threads, 7);
  EXPECT_EQ(stat->start_ticks, 5110741);
  EXPECT_EQ(stat->virtual_bytes, 3133440);
  EXPECT_EQ(stat->resident_pages, 408);
}

TEST(ParseProcStatTest, RefusesWhatIsNotAStatLine) {
  EXPECT_FALSE(ParseProcStat("").ok());
  EXPECT_FALSE(ParseProcStat("1 (x) R 1 2 3").ok());
  const absl::StatusOr<ProcStat> bad =
      ParseProcStat("1 (x) R 1 1 1 0 -1 0 0 0 0 0 ten 5 0 0 20 0 1 0 100 4096 1 0\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("field 14 is not a number: ten"));
}

TEST(ParseBootTimeTest, ReadsBtime) {
  EXPECT_EQ(*ParseBootTime("cpu  1 2 3\nbtime 1796472804\nprocesses 9\n"), 1796472804);
  EXPECT_FALSE(ParseBootTime("cpu 1 2 3\n").ok());
}

TEST(ParseMaxOpenFilesTest, ReadsTheSoftLimit) {
  constexpr char kLimits[] =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max open files            1024                 1048576              files     \n";
  EXPECT_EQ(*ParseMaxOpenFiles(kLimits), 1024);
  EXPECT_EQ(*ParseMaxOpenFiles("Max open files unlimited unlimited files\n"), -1);
  EXPECT_FALSE(ParseMaxOpenFiles("Max cpu time unlimited unlimited seconds\n").ok());
}

std::map<std::string, double> Values(const std::vector<prometheus::MetricFamily>& families) {
  std::map<std::string, double> values;
  for (const prometheus::MetricFamily& family : families) {
    EXPECT_EQ(family.metric.size(), 1u) << family.name;
    values[family.name] = family.type == prometheus::MetricType::Counter
                              ? family.metric.at(0).counter.value
                              : family.metric.at(0).gauge.value;
  }
  return values;
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(ProcessMetricsTest, ComputesEachMetricFromAProcDirectory) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/proc";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/fd").c_str(), 0755), 0);
  for (const char* fd : {"/fd/0", "/fd/1", "/fd/2", "/fd/7"}) WriteFile(dir + fd, "");
  WriteFile(dir + "/stat", kStat);
  WriteFile(dir + "/limits", "Max open files            20000                20000    files\n");
  WriteFile(dir + "/system_stat", "btime 1796472804\n");
  const std::map<std::string, double> values =
      Values(ProcessMetrics(dir, dir + "/system_stat").Collect());
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  EXPECT_DOUBLE_EQ(values.at("process_cpu_seconds_total"), 300 / ticks);
  EXPECT_DOUBLE_EQ(values.at("process_resident_memory_bytes"),
                   408.0 * static_cast<double>(sysconf(_SC_PAGESIZE)));
  EXPECT_DOUBLE_EQ(values.at("process_virtual_memory_bytes"), 3133440);
  EXPECT_DOUBLE_EQ(values.at("process_threads"), 7);
  EXPECT_DOUBLE_EQ(values.at("process_start_time_seconds"), 1796472804 + 5110741 / ticks);
  EXPECT_DOUBLE_EQ(values.at("process_open_fds"), 4);
  EXPECT_DOUBLE_EQ(values.at("process_max_fds"), 20000);
}

TEST(ProcessMetricsTest, AFileThatCannotBeReadLeavesItsMetricsOut) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/empty_proc";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  EXPECT_TRUE(ProcessMetrics(dir, dir + "/stat").Collect().empty());
}

TEST(ProcessMetricsTest, ThisProcessHasEveryMetric) {
  const std::map<std::string, double> values = Values(ProcessMetrics().Collect());
  std::vector<std::string> names;
  for (const auto& [name, value] : values) names.push_back(name);
  EXPECT_THAT(names, UnorderedElementsAre(
                         "process_cpu_seconds_total", "process_resident_memory_bytes",
                         "process_virtual_memory_bytes", "process_threads",
                         "process_start_time_seconds", "process_open_fds", "process_max_fds"));
  EXPECT_GT(values.at("process_resident_memory_bytes"), 0);
  EXPECT_GE(values.at("process_open_fds"), 3);  // stdin, stdout, stderr at least.
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  EXPECT_LE(values.at("process_start_time_seconds"), now + 1);
  EXPECT_GT(values.at("process_start_time_seconds"), now - 3600);
}

}  // namespace
}  // namespace hubspot_gateway
