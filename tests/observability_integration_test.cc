// The gateway's logs and metrics as an operator sees them: the real gateway
// and simulator as processes, stderr read line by line, /metrics scraped over
// HTTP, and the shipped dashboard and alert rules checked against that page.
#include <signal.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/common/digest.h"
#include "tests/testing/archive_calls.h"
#include "tests/testing/requests.h"
#include "tests/testing/stack.h"
#include "tests/testing/subprocess.h"

namespace hubspot_gateway {
namespace {

using ::hubspot_gateway::testing::Archive;
using ::hubspot_gateway::testing::GatewayMetric;
using ::hubspot_gateway::testing::kSimulatorToken;
using ::hubspot_gateway::testing::ScrapeMetrics;
using ::hubspot_gateway::testing::SequentialRequest;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::StartStack;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSubsetOf;
using ::testing::Not;

std::vector<std::string> Lines(const std::string& output) {
  return absl::StrSplit(output, '\n', absl::SkipEmpty());
}

// A JSON line's "ts": RFC 3339 in UTC with microseconds, within [from, to].
void ExpectLogTime(const std::string& ts, absl::Time from, absl::Time to) {
  EXPECT_TRUE(std::regex_match(
      ts, std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z")))
      << ts;
  absl::Time time;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, ts, &time, &error)) << ts << ": " << error;
  EXPECT_GE(time, from) << ts;
  EXPECT_LE(time, to) << ts;
}

TEST(ObservabilityIntegrationTest, EveryJsonLogLineHasTimeLevelEventAndCallsTheirLevel) {
  const absl::Time start = absl::Now() - absl::Seconds(1);
  StackOptions options;
  options.gateway_flags = {"--log_format=json", "--max_attempts=1", "--drain_delay=100ms"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->Seed("contacts", "companies", {{"1", "1001"}}).ok());
  EXPECT_TRUE(Archive(*stack, SequentialRequest(1, 1, 1000)).status.ok());
  // Refused before any HTTP request: a WARNING.
  EXPECT_FALSE(Archive(*stack, SequentialRequest(-1, 1, 1000)).status.ok());
  // HubSpot fails it (503, no retry): an ERROR.
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"fail_next", 1}}).ok());
  EXPECT_FALSE(Archive(*stack, SequentialRequest(2, 1, 1000)).status.ok());
  stack->gateway().Signal(SIGTERM);
  ASSERT_EQ(stack->gateway().WaitForExit(absl::Seconds(30)).value_or(-1), 0);
  const absl::Time end = absl::Now() + absl::Seconds(1);

  std::multiset<std::string> call_levels;
  std::string last_message;
  const std::vector<std::string> lines = Lines(stack->gateway().Output());
  ASSERT_GE(lines.size(), 6u);
  for (const std::string& line : lines) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(json.is_object()) << "not a JSON object: " << line;
    ASSERT_TRUE(json.contains("ts") && json.contains("level") && json.contains("event")) << line;
    ExpectLogTime(json["ts"], start, end);
    EXPECT_THAT((std::set<std::string>{"INFO", "WARNING", "ERROR"}),
                Contains(json["level"].get<std::string>()))
        << line;
    if (json["event"] == "call") call_levels.insert(json["level"].get<std::string>());
    if (json["event"] == "gateway") last_message = json.value("message", "");
    EXPECT_THAT(line, Not(HasSubstr(kSimulatorToken)));
  }
  EXPECT_EQ(call_levels, (std::multiset<std::string>{"INFO", "WARNING", "ERROR"}));
  EXPECT_EQ(last_message, "stopped");
}

TEST(ObservabilityIntegrationTest, EveryTextLogLineStartsWithTimeAndLevel) {
  StackOptions options;
  options.gateway_flags = {"--drain_delay=100ms"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  EXPECT_FALSE(Archive(*stack, SequentialRequest(-1, 1, 1000)).status.ok());
  stack->gateway().Signal(SIGTERM);
  ASSERT_EQ(stack->gateway().WaitForExit(absl::Seconds(30)).value_or(-1), 0);
  const std::regex shape(
      "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z "
      "(INFO|WARNING|ERROR) (gateway: .+|call method=.+|grpc .+)");
  const std::vector<std::string> lines = Lines(stack->gateway().Output());
  ASSERT_GE(lines.size(), 3u);
  for (const std::string& line : lines) EXPECT_TRUE(std::regex_match(line, shape)) << line;
  EXPECT_THAT(lines, Contains(HasSubstr(" WARNING call method=ArchiveAssociations ")));
}

TEST(ObservabilityIntegrationTest, AConfigurationErrorIsOneErrorLineInTheLogsFormat) {
  auto run =
      testing::Subprocess::Start({"server/gateway", "--log_format=json", "--upstream_timeout=0s"},
                                 {absl::StrCat("HUBSPOT_ACCESS_TOKEN=", kSimulatorToken)},
                                 testing::TempPath("gateway-bad-flag"));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->WaitForExit(absl::Seconds(20)).value_or(-1), 2);
  const std::vector<std::string> lines = Lines(run->Output());
  ASSERT_EQ(lines.size(), 1u) << run->Output();
  const auto json = nlohmann::json::parse(lines[0], nullptr, false);
  ASSERT_TRUE(json.is_object()) << lines[0];
  EXPECT_EQ(json["level"], "ERROR");
  EXPECT_EQ(json["event"], "gateway");
  EXPECT_THAT(json["message"].get<std::string>(), HasSubstr("cannot start: "));
  EXPECT_THAT(json["message"].get<std::string>(), HasSubstr("--upstream_timeout"));
}

// Every sample's value on a /metrics page, by series.
std::map<std::string, double> Samples(const std::string& page) {
  std::map<std::string, double> samples;
  for (absl::string_view line : absl::StrSplit(page, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    if (space != absl::string_view::npos && absl::SimpleAtod(line.substr(space + 1), &value)) {
      samples[std::string(line.substr(0, space))] = value;
    }
  }
  return samples;
}

TEST(ObservabilityIntegrationTest, MetricsStartAtZeroAndNameProcessUpstreamLatencyAndTokenLimit) {
  const double started = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  StackOptions options;
  options.gateway_flags = {"--metrics_listen=127.0.0.1:0"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);

  // Before any call: the known series are there, at 0.
  std::map<std::string, double> before = Samples(ScrapeMetrics(*stack));
  ASSERT_FALSE(before.empty()) << stack->gateway().Output();
  for (const char* series :
       {"gateway_calls_total{code=\"OK\",method=\"ArchiveAssociations\"}",
        "gateway_calls_total{code=\"UNAVAILABLE\",method=\"ArchiveAssociationsStream\"}",
        "gateway_calls_total{code=\"RESOURCE_EXHAUSTED\",method=\"ArchiveAssociationLabels\"}",
        "gateway_call_duration_seconds_count{method=\"ArchiveAssociations\"}",
        "gateway_undecodable_requests_total{method=\"ArchiveAssociationLabels\"}",
        "gateway_upstream_rate_limited_total{policy=\"ROLLING\"}",
        "gateway_upstream_rate_limited_total{policy=\"DAILY\"}",
        "gateway_queue_wait_seconds_count{lane=\"bulk\"}",
        "gateway_upstream_request_duration_seconds_count{call=\"batch/archive\",outcome="
        "\"success\"}",
        "gateway_upstream_request_duration_seconds_count{call=\"batch/labels/archive\",outcome="
        "\"daily_limit\"}"}) {
    ASSERT_TRUE(before.count(series)) << series << " missing before any call";
    EXPECT_EQ(before[series], 0) << series;
  }
  // The process, read from /proc.
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  EXPECT_GE(before["process_start_time_seconds"], started - 2);
  EXPECT_LE(before["process_start_time_seconds"], now + 1);
  EXPECT_GT(before["process_resident_memory_bytes"], 1 << 20);
  EXPECT_GT(before["process_virtual_memory_bytes"], before["process_resident_memory_bytes"]);
  EXPECT_GE(before["process_open_fds"], 3);
  EXPECT_GT(before["process_max_fds"], before["process_open_fds"]);
  EXPECT_GT(before["process_threads"], 1);
  EXPECT_GE(before["process_cpu_seconds_total"], 0);

  ASSERT_TRUE(stack->Seed("contacts", "companies", {{"1", "1001"}}).ok());
  ASSERT_TRUE(Archive(*stack, SequentialRequest(1, 1, 1000)).status.ok());
  const std::map<std::string, double> after = Samples(ScrapeMetrics(*stack));
  EXPECT_EQ(after.at("gateway_upstream_request_duration_seconds_count{call=\"batch/archive\","
                     "outcome=\"success\"}"),
            1);
  EXPECT_GT(after.at("gateway_upstream_request_duration_seconds_sum{call=\"batch/archive\","
                     "outcome=\"success\"}"),
            0);
  EXPECT_EQ(after.at("gateway_calls_total{code=\"OK\",method=\"ArchiveAssociations\"}"), 1);
  // The simulator advertises 190 per 10 s; the token is named by its fingerprint.
  EXPECT_EQ(after.at(absl::StrCat("gateway_learned_rate_limit_requests_per_second{token=\"",
                                  Fingerprint(kSimulatorToken), "\"}")),
            19);
  EXPECT_GE(after.at("process_cpu_seconds_total"), before["process_cpu_seconds_total"]);
  EXPECT_THAT(ScrapeMetrics(*stack), Not(HasSubstr(kSimulatorToken)));
}

// The metric names in a PromQL text: gateway_* and process_* (Prometheus's
// own `up` is not the gateway's to export).
std::set<std::string> MetricNames(const std::string& promql) {
  static const std::regex kName("\\b(gateway|process)_[a-z0-9_]+\\b");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(promql.begin(), promql.end(), kName);
       it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

// Every query string of a Grafana dashboard: targets' "expr" and the
// variables' "query" (a string, or an object holding one).
void CollectQueries(const nlohmann::json& node, std::string& queries) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if ((key == "expr" || key == "query") && value.is_string()) {
        queries += value.get<std::string>() + "\n";
      } else {
        CollectQueries(value, queries);
      }
    }
  } else if (node.is_array()) {
    for (const auto& item : node) CollectQueries(item, queries);
  }
}

TEST(ObservabilityIntegrationTest, TheDashboardAndAlertRulesUseOnlyMetricsTheGatewayExports) {
  StackOptions options;
  options.gateway_flags = {"--metrics_listen=127.0.0.1:0"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  // One call, so the series that appear with the first answer exist.
  ASSERT_TRUE(stack->Seed("contacts", "companies", {{"1", "1001"}}).ok());
  ASSERT_TRUE(Archive(*stack, SequentialRequest(1, 1, 1000)).status.ok());
  std::set<std::string> exported;
  for (const auto& [series, value] : Samples(ScrapeMetrics(*stack))) {
    exported.insert(series.substr(0, series.find('{')));
  }
  ASSERT_FALSE(exported.empty()) << stack->gateway().Output();

  const auto dashboard = nlohmann::json::parse(
      testing::ReadFile("deploy/monitoring/grafana-dashboard.json"), nullptr, false);
  ASSERT_TRUE(dashboard.is_object());
  std::string queries;
  CollectQueries(dashboard, queries);
  const std::set<std::string> dashboard_names = MetricNames(queries);
  EXPECT_GE(dashboard_names.size(), 20u) << queries;
  EXPECT_THAT(dashboard_names, IsSubsetOf(exported));

  const std::set<std::string> alert_names =
      MetricNames(testing::ReadFile("deploy/monitoring/alerts.yml"));
  EXPECT_GE(alert_names.size(), 5u);
  EXPECT_THAT(alert_names, IsSubsetOf(exported));
}

}  // namespace
}  // namespace hubspot_gateway
