// LearnedLimitGauges: gateway_learned_rate_limit_requests_per_second{token},
// the rate limit each HubSpot token is planned with (configured, advertised
// by HubSpot's headers or learned from 429s), per second whatever HubSpot's
// interval (190 per 10 s is 19). `token` is the token's fingerprint (8 hex
// digits of its SHA-256, server/common/digest.h), never the token. Labels are
// bounded: the first `max_labels` tokens in use have a series each; any
// further token shares token="other", which shows the lowest limit among them.
// A token's series (or its part of "other") goes once the dispatcher forgets
// the token, and its label is free for the next token.
// Thread-safe (one leaf lock; never calls out).
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_LEARNED_LIMIT_GAUGES_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_LEARNED_LIMIT_GAUGES_H_

#include <cstddef>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace hubspot_gateway {

class LearnedLimitGauges {
 public:
  // Registers the family in `registry`, which must outlive this object.
  LearnedLimitGauges(prometheus::Registry& registry, size_t max_labels);

  // The token with `fingerprint` is planned with `requests` per `interval`.
  void Set(absl::string_view fingerprint, int requests, absl::Duration interval);
  // The token is no longer kept.
  void Forget(absl::string_view fingerprint);

 private:
  // Sets or removes the "other" series from others_.
  void UpdateOther() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_labels_;
  prometheus::Family<prometheus::Gauge>& family_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, prometheus::Gauge*> labelled_ ABSL_GUARDED_BY(mu_);
  // Requests per second of each token without a label of its own.
  absl::flat_hash_map<std::string, double> others_ ABSL_GUARDED_BY(mu_);
  prometheus::Gauge* other_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_LEARNED_LIMIT_GAUGES_H_
