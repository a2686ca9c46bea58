// GatewayMetrics: the gateway's Prometheus metrics (prometheus-cpp), served
// on --metrics_listen. Calls by method and gRPC code, call latency, upstream
// requests by HTTP status, retries, 429s received, queue waits by lane, calls
// and inputs per upstream request, the learned limit, cancellations,
// in-flight calls, inputs archived and failed, and the shared budget store's
// reservation latency, errors and fallbacks; gateway_build_info names the
// binary's version, commit and kind. No label ever carries a token,
// key or id. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_GATEWAY_METRICS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_GATEWAY_METRICS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/api/call_observer.h"
#include "server/build_info.h"
#include "server/dispatch/archive_observer.h"

namespace hubspot_gateway {

class GatewayMetrics final : public ArchiveObserver, public CallObserver {
 public:
  // `build` is exported as gateway_build_info{version,commit,build} 1.
  explicit GatewayMetrics(const BuildInfo& build);

  // The registry to expose (or to read in tests).
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void OnCallStarted() override;
  // A call finished: counted by method and code, its latency observed, and its
  // inputs split into archived and failed.
  void OnCallFinished(absl::string_view method, absl::StatusCode code, absl::Duration latency,
                      int inputs_archived, int inputs_failed) override;
  void OnUndecodableRequest(absl::string_view method) override;

  void OnUpstreamAnswer(int http_status, absl::string_view rate_limit_policy) override;
  void OnRetry() override;
  void OnQueueWait(absl::string_view lane, absl::Duration wait) override;
  void OnUpstreamRequest(int calls, int inputs) override;
  void OnLearnedLimit(int requests) override;
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
  prometheus::Family<prometheus::Counter>& rate_limited_;
  prometheus::Counter& retries_;
  prometheus::Family<prometheus::Histogram>& queue_wait_;
  prometheus::Histogram& calls_per_request_;
  prometheus::Histogram& inputs_per_request_;
  prometheus::Gauge& learned_limit_;
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
