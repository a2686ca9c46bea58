#include "server/gateway_metrics.h"

#include "absl/strings/str_cat.h"
#include "server/hubspot/batch_call.h"
#include "server/lane/lane.h"

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

// HubSpot's answers: tens of milliseconds to the 30 s upstream timeout.
const prometheus::Histogram::BucketBoundaries& UpstreamBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

// absl::StatusCode's values, OK (0) to UNAUTHENTICATED (16).
constexpr int kStatusCodes = 17;

}  // namespace

MetricLabels MetricLabelsOf(const google::protobuf::ServiceDescriptor& service) {
  MetricLabels labels;
  for (int i = 0; i < service.method_count(); ++i) {
    const google::protobuf::MethodDescriptor& method = *service.method(i);
    labels.methods.push_back(method.name());
    if (!method.client_streaming()) labels.unary_methods.push_back(method.name());
  }
  return labels;
}

GatewayMetrics::GatewayMetrics(const BuildInfo& build, const MetricLabels& labels)
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
      upstream_seconds_(BuildHistogram()
                            .Name("gateway_upstream_request_duration_seconds")
                            .Help("Time from sending a request to HubSpot to its answer (or "
                                  "failure), by batch call and outcome (success, partial, "
                                  "rolling_limit, daily_limit, transient, permanent)")
                            .Register(*registry_)),
      rate_limited_(
          BuildCounter()
              .Name("gateway_upstream_rate_limited_total")
              .Help("429 answers from HubSpot: DAILY, or ROLLING (any other policy, or none)")
              .Register(*registry_)),
      retries_(BuildCounter()
                   .Name("gateway_upstream_retries_total")
                   .Help("Upstream attempts retried")
                   .Register(*registry_)
                   .Add({})),
      queue_wait_(BuildHistogram()
                      .Name("gateway_queue_wait_seconds")
                      .Help("Time work waited for HubSpot's rate budget, by lane")
                      .Register(*registry_)),
      flow_queue_wait_(BuildHistogram()
                           .Name("gateway_flow_queue_wait_seconds")
                           .Help("Time work waited for HubSpot's rate budget, by caller flow "
                                 "(the first 20 flows seen; the rest are \"other\")")
                           .Register(*registry_)),
      calls_per_request_(
          BuildHistogram()
              .Name("gateway_upstream_request_calls")
              .Help("Calls whose chunks one upstream request carried")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 3, 5, 10, 20, 50, 100})),
      inputs_per_request_(
          BuildHistogram()
              .Name("gateway_upstream_request_inputs")
              .Help("Inputs one upstream request carried")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 25, 50, 75, 99, 100})),
      learned_limit_(BuildGauge()
                         .Name("gateway_learned_rate_limit")
                         .Help("Deprecated (removed in 2.0): use "
                               "gateway_learned_rate_limit_requests_per_second. The rate limit "
                               "(requests per interval) a token was last re-planned to, from "
                               "headers or a 429 (any token)")
                         .Register(*registry_)
                         .Add({})),
      learned_limits_(*registry_, kMaxTokenLabels),
      cancellations_(BuildCounter()
                         .Name("gateway_cancellations_total")
                         .Help("Calls and stream requests stopped (cancelled or past their "
                               "deadline) with work still queued or unsent")
                         .Register(*registry_)
                         .Add({})),
      pauses_capped_(BuildCounter()
                         .Name("gateway_upstream_pauses_capped_total")
                         .Help("Retry-After answers asking for a longer pause than "
                               "--max_retry_after; the token paused for the cap")
                         .Register(*registry_)
                         .Add({})),
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
                         .Add({})),
      undecodable_requests_(BuildCounter()
                                .Name("gateway_undecodable_requests_total")
                                .Help("Unary requests that were not valid protobuf (or not "
                                      "UTF-8), by method; answered INVALID_ARGUMENT")
                                .Register(*registry_)),
      store_reservation_(BuildHistogram()
                             .Name("gateway_budget_store_reservation_seconds")
                             .Help("Time the shared budget store (Redis) took to answer a "
                                   "reservation")
                             .Register(*registry_)
                             .Add({}, LatencyBuckets())),
      store_errors_(BuildCounter()
                        .Name("gateway_budget_store_errors_total")
                        .Help("Failed budget store commands and connections")
                        .Register(*registry_)
                        .Add({})),
      store_fallbacks_(BuildCounter()
                           .Name("gateway_budget_store_fallbacks_total")
                           .Help("Times the budgets fell back to their local share because "
                                 "the budget store stopped answering")
                           .Register(*registry_)
                           .Add({})),
      store_fallback_active_(BuildGauge()
                                 .Name("gateway_budget_store_fallback")
                                 .Help("1 while budgets plan locally (the budget store is out "
                                       "of reach), 0 while they share it")
                                 .Register(*registry_)
                                 .Add({})) {
  BuildGauge()
      .Name("gateway_build_info")
      .Help(
          "1, labelled with the binary's version, git commit and build (release or "
          "development)")
      .Register(*registry_)
      .Add({{"version", build.version}, {"commit", build.commit}, {"build", BuildKind(build)}})
      .Set(1);
  // Series known now start at 0.
  for (const std::string& method : labels.methods) {
    call_seconds_.Add({{"method", method}}, LatencyBuckets());
    for (int code = 0; code < kStatusCodes; ++code) {
      calls_.Add({{"method", method},
                  {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(code))}});
    }
  }
  for (const std::string& method : labels.unary_methods) {
    undecodable_requests_.Add({{"method", method}});
  }
  for (const BatchCall* call : kBatchCalls) {
    for (AnswerOutcome outcome : kAnswerOutcomes) {
      upstream_seconds_.Add(
          {{"call", std::string(call->path)}, {"outcome", std::string(AnswerOutcomeName(outcome))}},
          UpstreamBuckets());
    }
  }
  for (const char* policy : {"DAILY", "ROLLING"}) rate_limited_.Add({{"policy", policy}});
  for (Lane lane : {Lane::kInteractive, Lane::kBulk}) {
    queue_wait_.Add({{"lane", LaneName(lane)}}, LatencyBuckets());
  }
}

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

void GatewayMetrics::OnUndecodableRequest(absl::string_view method) {
  undecodable_requests_.Add({{"method", std::string(method)}}).Increment();
}

void GatewayMetrics::OnUpstreamAnswer(absl::string_view call, int http_status,
                                      AnswerOutcome outcome, absl::Duration latency) {
  upstream_requests_.Add({{"status", absl::StrCat(http_status)}}).Increment();
  upstream_seconds_
      .Add({{"call", std::string(call)}, {"outcome", std::string(AnswerOutcomeName(outcome))}},
           UpstreamBuckets())
      .Observe(absl::ToDoubleSeconds(latency));
  // Two series: the outcome already sorted every 429 into one of them.
  if (outcome == AnswerOutcome::kDailyLimit) {
    rate_limited_.Add({{"policy", "DAILY"}}).Increment();
  } else if (outcome == AnswerOutcome::kRollingLimit) {
    rate_limited_.Add({{"policy", "ROLLING"}}).Increment();
  }
}

void GatewayMetrics::OnRetry() { retries_.Increment(); }

void GatewayMetrics::OnPauseCapped() { pauses_capped_.Increment(); }

void GatewayMetrics::OnQueueWait(absl::string_view lane, absl::string_view flow,
                                 absl::Duration wait) {
  queue_wait_.Add({{"lane", std::string(lane)}}, LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(wait));
  std::string label = "other";
  {
    absl::MutexLock lock(&flows_mu_);
    if (labelled_flows_.contains(flow) || labelled_flows_.size() < kMaxFlowLabels) {
      label = *labelled_flows_.emplace(flow).first;
    }
  }
  flow_queue_wait_.Add({{"flow", label}}, LatencyBuckets()).Observe(absl::ToDoubleSeconds(wait));
}

void GatewayMetrics::OnUpstreamRequest(int calls, int inputs) {
  calls_per_request_.Observe(calls);
  inputs_per_request_.Observe(inputs);
}

void GatewayMetrics::OnLearnedLimit(absl::string_view token_fingerprint, int requests,
                                    absl::Duration interval) {
  learned_limit_.Set(requests);
  learned_limits_.Set(token_fingerprint, requests, interval);
}

void GatewayMetrics::OnTokenForgotten(absl::string_view token_fingerprint) {
  learned_limits_.Forget(token_fingerprint);
}

void GatewayMetrics::OnCancelled() { cancellations_.Increment(); }

void GatewayMetrics::OnBudgetStoreReservation(absl::Duration latency) {
  store_reservation_.Observe(absl::ToDoubleSeconds(latency));
}

void GatewayMetrics::OnBudgetStoreError() { store_errors_.Increment(); }

void GatewayMetrics::OnBudgetStoreFallback(bool active) {
  if (active) store_fallbacks_.Increment();
  store_fallback_active_.Set(active ? 1 : 0);
}

}  // namespace hubspot_gateway
