#include "server/gateway_metrics.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "prometheus/text_serializer.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const BuildInfo kBuild{"1.2.3", "0123456789abcdef0123456789abcdef01234567", true};

// The real service's methods, as the gateway passes them.
MetricLabels ServiceLabels() {
  return MetricLabelsOf(*hubspot::crm::associations::v1::ArchiveAssociationsRequest::descriptor()
                             ->file()
                             ->FindServiceByName("AssociationsArchive"));
}

std::string Exposition(const GatewayMetrics& metrics) {
  return prometheus::TextSerializer().Serialize(metrics.registry()->Collect());
}

TEST(GatewayMetricsTest, CountsCallsUpstreamAnswersRetriesAndWaits) {
  GatewayMetrics metrics(kBuild, ServiceLabels());
  metrics.OnCallStarted();
  metrics.OnCallStarted();
  metrics.OnUpstreamAnswer("batch/archive", 503, AnswerOutcome::kTransient, absl::Seconds(2));
  metrics.OnRetry();
  metrics.OnUpstreamAnswer("batch/archive", 429, AnswerOutcome::kRollingLimit,
                           absl::Milliseconds(40));
  metrics.OnRetry();
  metrics.OnQueueWait("interactive", "caller:a", absl::Milliseconds(1500));
  metrics.OnQueueWait("bulk", "caller:b", absl::Milliseconds(20));
  metrics.OnUpstreamRequest(3, 60);
  metrics.OnLearnedLimit("0a1b2c3d", 150, absl::Seconds(10));
  metrics.OnCancelled();
  metrics.OnPauseCapped();
  metrics.OnBudgetStoreReservation(absl::Milliseconds(2));
  metrics.OnBudgetStoreError();
  metrics.OnBudgetStoreFallback(true);
  metrics.OnBudgetStoreFallback(false);
  metrics.OnUpstreamAnswer("batch/archive", 429, AnswerOutcome::kRollingLimit,
                           absl::Milliseconds(40));
  metrics.OnUpstreamAnswer("batch/archive", 429, AnswerOutcome::kDailyLimit,
                           absl::Milliseconds(40));
  metrics.OnUpstreamAnswer("batch/labels/archive", 204, AnswerOutcome::kSuccess,
                           absl::Milliseconds(300));
  metrics.OnCallFinished("ArchiveAssociations", absl::StatusCode::kOk, absl::Milliseconds(20), 99,
                         1);
  const std::string text = Exposition(metrics);
  EXPECT_THAT(text, HasSubstr("gateway_calls_total{code=\"OK\",method=\"ArchiveAssociations\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_requests_total{status=\"503\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_pauses_capped_total 1"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_requests_total{status=\"204\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_rate_limited_total{policy=\"ROLLING\"} 2"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_retries_total 2"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_rate_limited_total{policy=\"DAILY\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_queue_wait_seconds_sum{lane=\"interactive\"} 1.5"));
  EXPECT_THAT(text, HasSubstr("gateway_queue_wait_seconds_count{lane=\"bulk\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_flow_queue_wait_seconds_count{flow=\"caller:a\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_flow_queue_wait_seconds_sum{flow=\"caller:b\"} 0.02"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_request_calls_sum 3"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_request_inputs_sum 60"));
  EXPECT_THAT(text, HasSubstr("gateway_learned_rate_limit 150"));
  EXPECT_THAT(text,
              HasSubstr("gateway_learned_rate_limit_requests_per_second{token=\"0a1b2c3d\"} 15"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_request_duration_seconds_count{call=\"batch/"
                              "archive\",outcome=\"rolling_limit\"} 2"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_request_duration_seconds_sum{call=\"batch/"
                              "archive\",outcome=\"transient\"} 2"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_request_duration_seconds_bucket{call=\"batch/"
                              "labels/archive\",outcome=\"success\",le=\"0.25\"} 0"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_request_duration_seconds_bucket{call=\"batch/"
                              "labels/archive\",outcome=\"success\",le=\"0.5\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_cancellations_total 1"));
  EXPECT_THAT(text, HasSubstr("gateway_budget_store_reservation_seconds_sum 0.002"));
  EXPECT_THAT(text, HasSubstr("gateway_budget_store_errors_total 1"));
  EXPECT_THAT(text, HasSubstr("gateway_budget_store_fallbacks_total 1"));
  EXPECT_THAT(text, HasSubstr("gateway_budget_store_fallback 0"));
  EXPECT_THAT(text, HasSubstr("gateway_in_flight_calls 1"));
  EXPECT_THAT(text, HasSubstr("gateway_inputs_archived_total 99"));
  EXPECT_THAT(text, HasSubstr("gateway_inputs_failed_total 1"));
  EXPECT_THAT(text,
              HasSubstr("gateway_call_duration_seconds_count{method=\"ArchiveAssociations\"} 1"));
}

TEST(GatewayMetricsTest, FlowLabelsAreBounded) {
  GatewayMetrics metrics(kBuild, ServiceLabels());
  for (size_t i = 0; i < GatewayMetrics::kMaxFlowLabels + 5; ++i) {
    metrics.OnQueueWait("interactive", absl::StrCat("peer:10.0.0.", i), absl::Milliseconds(1));
  }
  metrics.OnQueueWait("interactive", "peer:10.0.0.0", absl::Milliseconds(1));
  const std::string text = Exposition(metrics);
  EXPECT_THAT(text, HasSubstr("gateway_flow_queue_wait_seconds_count{flow=\"peer:10.0.0.0\"} 2"));
  EXPECT_THAT(text, HasSubstr("gateway_flow_queue_wait_seconds_count{flow=\"other\"} 5"));
  EXPECT_THAT(text, Not(HasSubstr("flow=\"peer:10.0.0.20\"")));
}

TEST(GatewayMetricsTest, ForgottenTokensLeaveTheLearnedLimit) {
  GatewayMetrics metrics(kBuild, ServiceLabels());
  metrics.OnLearnedLimit("0a1b2c3d", 100, absl::Seconds(10));
  metrics.OnTokenForgotten("0a1b2c3d");
  EXPECT_THAT(Exposition(metrics), Not(HasSubstr("token=\"0a1b2c3d\"")));
}

// The value of each sample line, by series.
std::map<std::string, std::string> Samples(const std::string& exposition) {
  std::map<std::string, std::string> samples;
  for (absl::string_view line : absl::StrSplit(exposition, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    samples[std::string(line.substr(0, space))] = std::string(line.substr(space + 1));
  }
  return samples;
}

TEST(GatewayMetricsTest, SeriesWithKnownLabelsStartAtZero) {
  const std::map<std::string, std::string> samples =
      Samples(Exposition(GatewayMetrics(kBuild, ServiceLabels())));
  for (const char* method :
       {"ArchiveAssociations", "ArchiveAssociationsStream", "ArchiveAssociationLabels"}) {
    for (const char* code : {"OK", "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "UNAVAILABLE",
                             "DEADLINE_EXCEEDED", "INTERNAL", "UNAUTHENTICATED", "CANCELLED"}) {
      EXPECT_EQ(samples.at(absl::StrCat("gateway_calls_total{code=\"", code, "\",method=\"", method,
                                        "\"}")),
                "0");
    }
    EXPECT_EQ(
        samples.at(absl::StrCat("gateway_call_duration_seconds_count{method=\"", method, "\"}")),
        "0");
  }
  for (const char* method : {"ArchiveAssociations", "ArchiveAssociationLabels"}) {
    EXPECT_EQ(
        samples.at(absl::StrCat("gateway_undecodable_requests_total{method=\"", method, "\"}")),
        "0");
  }
  EXPECT_EQ(
      samples.count("gateway_undecodable_requests_total{method=\"ArchiveAssociationsStream\"}"),
      0u);
  for (const char* call : {"batch/archive", "batch/labels/archive"}) {
    for (const char* outcome :
         {"success", "partial", "rolling_limit", "daily_limit", "transient", "permanent"}) {
      EXPECT_EQ(samples.at(absl::StrCat("gateway_upstream_request_duration_seconds_count{call=\"",
                                        call, "\",outcome=\"", outcome, "\"}")),
                "0");
    }
  }
  for (const char* policy : {"DAILY", "ROLLING"}) {
    EXPECT_EQ(
        samples.at(absl::StrCat("gateway_upstream_rate_limited_total{policy=\"", policy, "\"}")),
        "0");
  }
  for (const char* lane : {"interactive", "bulk"}) {
    EXPECT_EQ(samples.at(absl::StrCat("gateway_queue_wait_seconds_count{lane=\"", lane, "\"}")),
              "0");
  }
  // 17 codes for each of the 3 methods.
  size_t calls = 0;
  for (const auto& [series, value] : samples) calls += series.rfind("gateway_calls_total{", 0) == 0;
  EXPECT_EQ(calls, 51u);
}

TEST(GatewayMetricsTest, NamesTheBuild) {
  GatewayMetrics metrics(kBuild, ServiceLabels());
  EXPECT_THAT(Exposition(metrics),
              HasSubstr("gateway_build_info{build=\"release\",commit=\"0123456789abcdef0123456789"
                        "abcdef01234567\",version=\"1.2.3\"} 1"));
}

}  // namespace
}  // namespace hubspot_gateway
