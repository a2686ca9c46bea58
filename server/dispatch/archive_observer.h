// ArchiveObserver hears what the call logic does upstream (answers, retries,
// rate-limit waits) so metrics can count it without the logic depending on a
// metrics library. The base class ignores everything; implementations must
// be thread-safe and must not block.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_ARCHIVE_OBSERVER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_ARCHIVE_OBSERVER_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hubspot_gateway {

class ArchiveObserver {
 public:
  virtual ~ArchiveObserver() = default;

  // One upstream attempt ended: its HTTP status, or 0 when no answer came.
  // `rate_limit_policy` is HubSpot's policyName of a 429 ("" otherwise).
  virtual void OnUpstreamAnswer(int /*http_status*/, absl::string_view /*rate_limit_policy*/) {}

  // A failed attempt will be retried.
  virtual void OnRetry() {}

  // A request waited this long for room in the rate budget.
  virtual void OnRateLimitWait(absl::Duration /*wait*/) {}
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_ARCHIVE_OBSERVER_H_
