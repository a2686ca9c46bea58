// GatewayMetrics: the gateway's Prometheus metrics (prometheus-cpp), served
// on --metrics_listen. Calls by method and gRPC code, call latency, upstream
// requests by HTTP status, upstream latency by batch call and outcome,
// retries, 429s received, queue waits by lane and by caller flow (the first
// kMaxFlowLabels flows seen by name, the rest "other"), calls and inputs per
// upstream request, each token's planned rate limit (LearnedLimitGauges),
// cancellations, in-flight calls, inputs archived and failed, and the shared
// budget store's reservation latency, errors and fallbacks;
// gateway_build_info names the binary's version, commit and kind. Every
// series whose labels are known at startup (methods and codes, lanes, batch
// calls and outcomes, 429 policies) is exported at 0 from the start, so
// rates and ratios exist before the first event. No label ever carries a
// token, key or id (a token appears only as its fingerprint). Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_GATEWAY_METRICS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_GATEWAY_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/api/call_observer.h"
#include "server/build_info.h"
#include "server/dispatch/archive_observer.h"
#include "server/learned_limit_gauges.h"

namespace hubspot_gateway {

// The service's methods, known at startup: their series start at 0.
struct MetricLabels {
  // Every RPC: gateway_calls_total (with every gRPC code) and
  // gateway_call_duration_seconds.
  std::vector<std::string> methods;
  // Those whose request is one message: gateway_undecodable_requests_total.
  std::vector<std::string> unary_methods;
};

// The methods of `service`, by their own names ("ArchiveAssociations").
MetricLabels MetricLabelsOf(const google::protobuf::ServiceDescriptor& service);

class GatewayMetrics final : public ArchiveObserver, public CallObserver {
 public:
  // Flows with a label of their own in gateway_flow_queue_wait_seconds.
  static constexpr size_t kMaxFlowLabels = 20;
  // Tokens with a label of their own in
  // gateway_learned_rate_limit_requests_per_second.
  static constexpr size_t kMaxTokenLabels = 20;

  // `build` is exported as gateway_build_info{version,commit,build} 1;
  // `labels`' series start at 0.
  GatewayMetrics(const BuildInfo& build, const MetricLabels& labels);

  // The registry to expose (or to read in tests).
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void OnCallStarted() override;
  // A call finished: counted by method and code, its latency observed, and its
  // inputs split into archived and failed.
  void OnCallFinished(absl::string_view method, absl::StatusCode code, absl::Duration latency,
                      int inputs_archived, int inputs_failed) override;
  void OnUndecodableRequest(absl::string_view method) override;

  void OnUpstreamAnswer(absl::string_view call, int http_status, AnswerOutcome outcome,
                        absl::Duration latency) override;
  void OnRetry() override;
  void OnQueueWait(absl::string_view lane, absl::string_view flow, absl::Duration wait) override;
  void OnUpstreamRequest(int calls, int inputs) override;
  void OnLearnedLimit(absl::string_view token_fingerprint, int requests,
                      absl::Duration interval) override;
  void OnTokenForgotten(absl::string_view token_fingerprint) override;
  void OnCancelled() override;
  void OnPauseCapped() override;
  void OnBudgetStoreReservation(absl::Duration latency) override;
  void OnBudgetStoreError() override;
  void OnBudgetStoreFallback(bool active) override;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Histogram>& call_seconds_;
  prometheus::Family<prometheus::Counter>& upstream_requests_;
  prometheus::Family<prometheus::Histogram>& upstream_seconds_;
  prometheus::Family<prometheus::Counter>& rate_limited_;
  prometheus::Counter& retries_;
  prometheus::Family<prometheus::Histogram>& queue_wait_;
  prometheus::Family<prometheus::Histogram>& flow_queue_wait_;
  absl::Mutex flows_mu_;
  // The flows that have a label of their own (bounded: the rest are "other").
  absl::flat_hash_set<std::string> labelled_flows_ ABSL_GUARDED_BY(flows_mu_);
  prometheus::Histogram& calls_per_request_;
  prometheus::Histogram& inputs_per_request_;
  // Deprecated (gateway_learned_rate_limit, any token's): until 2.0.
  prometheus::Gauge& learned_limit_;
  LearnedLimitGauges learned_limits_;
  prometheus::Counter& cancellations_;
  prometheus::Counter& pauses_capped_;
  prometheus::Gauge& in_flight_;
  prometheus::Counter& inputs_archived_;
  prometheus::Counter& inputs_failed_;
  prometheus::Family<prometheus::Counter>& undecodable_requests_;
  prometheus::Histogram& store_reservation_;
  prometheus::Counter& store_errors_;
  prometheus::Counter& store_fallbacks_;
  prometheus::Gauge& store_fallback_active_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_GATEWAY_METRICS_H_
