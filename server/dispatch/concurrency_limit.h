// ConcurrencyLimit is how many upstream requests one token may have in flight,
// adapted to HubSpot's latency the way Netflix's concurrency-limits Gradient2
// does: while an answer takes no longer than the long-run average (within a
// tolerance), the limit grows by about its square root per round trip; when
// answers slow down, it shrinks in proportion. Connection failures and 5xx
// shrink it by a tenth. A 429 is about the rate, not concurrency: the budget
// handles it. The limit stays within [min, max] (min 20 as Gradient2's
// minLimit: never fewer than a few calls' worth, so a hanging upstream slows
// attempts down to their timeouts, not to one at a time); max 0 turns it off
// (limit() is then 0: no limit).
// Not thread-safe: its TokenDispatcher holds it under its own lock.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_CONCURRENCY_LIMIT_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_CONCURRENCY_LIMIT_H_

#include "absl/time/time.h"

namespace hubspot_gateway {

struct ConcurrencyLimitOptions {
  // Where the limit starts, and the least it shrinks to (both within [1, max]).
  int initial = 20;
  int min = 20;
  // --max_requests_in_flight_per_token (0: none; then each call hands the
  // dispatcher --max_concurrent_requests_per_call chunks at most). The
  // default matches --max_upstream_connections: more would only wait for one.
  int max = 100;
  // How much of each new estimate is taken.
  double smoothing = 0.2;
  // Latency may grow this much over the long-run average before the limit shrinks.
  double tolerance = 1.5;
  // Answers the long-run average spans.
  int long_window = 600;
};

class ConcurrencyLimit {
 public:
  explicit ConcurrencyLimit(const ConcurrencyLimitOptions& options);

  // 0 when off.
  int limit() const { return options_.max <= 0 ? 0 : static_cast<int>(estimate_); }

  // An answer came `rtt` after its request was sent, with `in_flight`
  // requests (it included) in flight.
  void OnAnswer(absl::Duration rtt, int in_flight);
  // A request got no answer, or a 5xx: upstream is struggling.
  void OnFailure();

 private:
  const ConcurrencyLimitOptions options_;
  // options_.min and .max, within [1, max].
  const double floor_;
  const double ceiling_;
  double estimate_;
  // The long-run average round trip, in seconds (0 before the first answer).
  double long_rtt_ = 0;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_CONCURRENCY_LIMIT_H_
