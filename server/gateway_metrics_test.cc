#include "server/gateway_metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;

const BuildInfo kBuild{"1.2.3", "0123456789abcdef0123456789abcdef01234567", true};

std::string Exposition(const GatewayMetrics& metrics) {
  return prometheus::TextSerializer().Serialize(metrics.registry()->Collect());
}

TEST(GatewayMetricsTest, CountsCallsUpstreamAnswersRetriesAndWaits) {
  GatewayMetrics metrics(kBuild);
  metrics.OnCallStarted();
  metrics.OnCallStarted();
  metrics.OnUpstreamAnswer(503, "");
  metrics.OnRetry();
  metrics.OnUpstreamAnswer(429, "TEN_SECONDLY_ROLLING");
  metrics.OnRetry();
  metrics.OnQueueWait("interactive", absl::Milliseconds(1500));
  metrics.OnQueueWait("bulk", absl::Milliseconds(20));
  metrics.OnUpstreamRequest(3, 60);
  metrics.OnLearnedLimit(150);
  metrics.OnCancelled();
  metrics.OnPauseCapped();
  metrics.OnBudgetStoreReservation(absl::Milliseconds(2));
  metrics.OnBudgetStoreError();
  metrics.OnBudgetStoreFallback(true);
  metrics.OnBudgetStoreFallback(false);
  metrics.OnUpstreamAnswer(429, "made-up policy\n");
  metrics.OnUpstreamAnswer(204, "");
  metrics.OnCallFinished("ArchiveAssociations", absl::StatusCode::kOk, absl::Milliseconds(20), 99,
                         1);
  const std::string text = Exposition(metrics);
  EXPECT_THAT(text, HasSubstr("gateway_calls_total{code=\"OK\",method=\"ArchiveAssociations\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_requests_total{status=\"503\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_pauses_capped_total 1"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_requests_total{status=\"204\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("gateway_upstream_rate_limited_total{policy=\"TEN_SECONDLY_ROLLING\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_retries_total 2"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_rate_limited_total{policy=\"other\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_queue_wait_seconds_sum{lane=\"interactive\"} 1.5"));
  EXPECT_THAT(text, HasSubstr("gateway_queue_wait_seconds_count{lane=\"bulk\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_request_calls_sum 3"));
  EXPECT_THAT(text, HasSubstr("gateway_upstream_request_inputs_sum 60"));
  EXPECT_THAT(text, HasSubstr("gateway_learned_rate_limit 150"));
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

TEST(GatewayMetricsTest, NamesTheBuild) {
  GatewayMetrics metrics(kBuild);
  EXPECT_THAT(Exposition(metrics),
              HasSubstr("gateway_build_info{build=\"release\",commit=\"0123456789abcdef0123456789"
                        "abcdef01234567\",version=\"1.2.3\"} 1"));
}

}  // namespace
}  // namespace hubspot_gateway
