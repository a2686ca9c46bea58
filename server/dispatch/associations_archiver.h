// AssociationsArchiver carries out one ArchiveAssociations call against
// HubSpot: validate, split into chunks, send them (a bounded number at once)
// with retries and backoff, and merge the answers so every input is accounted
// for, every request paced by the RateLimiter. Independent of gRPC.
// Thread-safe; each call gets its own small state.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_ASSOCIATIONS_ARCHIVER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_ASSOCIATIONS_ARCHIVER_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/dispatch/archive_observer.h"
#include "server/dispatch/retry_policy.h"
#include "server/http/http_transport.h"
#include "server/hubspot/endpoint.h"
#include "server/dispatch/rate_limiter.h"
#include "server/dispatch/scheduler.h"

namespace hubspot_gateway {

// What a call did upstream, for its log line.
struct UpstreamSummary {
  int requests = 0;
  int retries = 0;
  // Of the last answer; 0 when none arrived.
  int last_http_status = 0;
  std::string last_correlation_id;
};

struct ArchiverOptions {
  HubSpotEndpoint endpoint;
  // Upstream requests carry at most this many inputs (and `to` ids per input).
  int max_inputs_per_request = 100;
  // Chunks of one call in flight at once.
  int max_concurrent_requests_per_call = 4;
  // Longest one upstream attempt may take (the call's deadline also bounds it).
  absl::Duration upstream_timeout = absl::Seconds(30);
  RetryPolicy retry;
  BackoffPolicy backoff;
};

class AssociationsArchiver {
 public:
  using Done = absl::AnyInvocable<void(
      absl::StatusOr<hubspot::crm::associations::v1::BatchResult> result,
      const UpstreamSummary& summary) &&>;

  // All references must outlive the archiver; `random` is used under a lock.
  AssociationsArchiver(ArchiverOptions options, HttpTransport& transport,
                       Scheduler& scheduler, RateLimiter& limiter, ArchiveObserver& observer,
                       absl::BitGenRef random);

  const ArchiverOptions& options() const { return options_; }

  // Archives `request` with HubSpot token `token` before `deadline`; `done`
  // runs once, on any thread, possibly before Archive returns. `request` must
  // stay alive until then. Invalid requests fail with INVALID_ARGUMENT
  // without any HTTP request.
  void Archive(const hubspot::crm::associations::v1::ArchiveAssociationsRequest& request,
               std::string token, absl::Time deadline, Done done);

 private:
  friend class ArchiveCall;

  absl::Duration RetryDelay(int retry, absl::Duration retry_after);

  const ArchiverOptions options_;
  HttpTransport& transport_;
  Scheduler& scheduler_;
  RateLimiter& limiter_;
  ArchiveObserver& observer_;
  absl::Mutex random_mu_;
  absl::BitGenRef random_ ABSL_GUARDED_BY(random_mu_);
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_ASSOCIATIONS_ARCHIVER_H_
