#include "server/gateway_metrics.h"

#include "absl/strings/str_cat.h"

namespace hubspot_gateway {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

}  // namespace

GatewayMetrics::GatewayMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      calls_(BuildCounter()
                 .Name("gateway_calls_total")
                 .Help("Calls finished, by method and gRPC code")
                 .Register(*registry_)),
      call_seconds_(BuildHistogram()
                        .Name("gateway_call_duration_seconds")
                        .Help("Call latency as the gateway saw it")
                        .Register(*registry_)),
      upstream_requests_(BuildCounter()
                             .Name("gateway_upstream_requests_total")
                             .Help("Requests to HubSpot by HTTP status (0: no answer)")
                             .Register(*registry_)),
      rate_limited_(BuildCounter()
                        .Name("gateway_upstream_rate_limited_total")
                        .Help("429 answers from HubSpot, by policyName")
                        .Register(*registry_)),
      retries_(BuildCounter()
                   .Name("gateway_upstream_retries_total")
                   .Help("Upstream attempts retried")
                   .Register(*registry_)
                   .Add({})),
      limiter_wait_seconds_(BuildCounter()
                                .Name("gateway_rate_limiter_wait_seconds_total")
                                .Help("Time requests waited for room in HubSpot's rate budget")
                                .Register(*registry_)
                                .Add({})),
      limiter_waits_(BuildHistogram()
                         .Name("gateway_rate_limiter_wait_seconds")
                         .Help("Each wait for room in HubSpot's rate budget")
                         .Register(*registry_)
                         .Add({}, LatencyBuckets())),
      in_flight_(BuildGauge()
                     .Name("gateway_in_flight_calls")
                     .Help("Calls being served")
                     .Register(*registry_)
                     .Add({})),
      inputs_archived_(BuildCounter()
                           .Name("gateway_inputs_archived_total")
                           .Help("Inputs of successful calls that no error names")
                           .Register(*registry_)
                           .Add({})),
      inputs_failed_(BuildCounter()
                         .Name("gateway_inputs_failed_total")
                         .Help("Inputs of failed calls, or named in a result's errors")
                         .Register(*registry_)
                         .Add({})) {}

void GatewayMetrics::OnCallStarted() { in_flight_.Increment(); }

void GatewayMetrics::OnCallFinished(absl::string_view method, absl::StatusCode code,
                                    absl::Duration latency, int inputs_archived,
                                    int inputs_failed) {
  in_flight_.Decrement();
  const std::string method_name(method);
  calls_.Add({{"method", method_name}, {"code", absl::StatusCodeToString(code)}}).Increment();
  call_seconds_.Add({{"method", method_name}}, LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(latency));
  inputs_archived_.Increment(inputs_archived);
  inputs_failed_.Increment(inputs_failed);
}

void GatewayMetrics::OnUpstreamAnswer(int http_status, absl::string_view rate_limit_policy) {
  upstream_requests_.Add({{"status", absl::StrCat(http_status)}}).Increment();
  if (http_status == 429) {
    rate_limited_
        .Add({{"policy", rate_limit_policy.empty() ? "unknown" : std::string(rate_limit_policy)}})
        .Increment();
  }
}

void GatewayMetrics::OnRetry() { retries_.Increment(); }

void GatewayMetrics::OnRateLimitWait(absl::Duration wait) {
  limiter_wait_seconds_.Increment(absl::ToDoubleSeconds(wait));
  limiter_waits_.Observe(absl::ToDoubleSeconds(wait));
}

}  // namespace hubspot_gateway
