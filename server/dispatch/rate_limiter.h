// RateLimiter paces upstream requests per HubSpot token so they stay under a
// rolling-window budget (HubSpot's "N requests per 10 s") instead of hitting
// it: each request reserves the earliest slot the window allows, and callers
// wait for it on the Scheduler, never on a thread. It adapts to the
// X-HubSpot-RateLimit-* headers when HubSpot sends them. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_RATE_LIMITER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_RATE_LIMITER_H_

#include <cstdint>
#include <deque>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "server/http/http_transport.h"

namespace hubspot_gateway {

// At most `max_requests` in any `interval`; max_requests == 0 means no limit.
struct RateBudget {
  int max_requests = 190;
  absl::Duration interval = absl::Seconds(10);
};

class RateLimiter {
 public:
  explicit RateLimiter(RateBudget default_budget);

  // Reserves one request for `token` at the earliest time >= `now` that keeps
  // every rolling window (widened by a 2% + 10 ms guard against network delay
  // jitter) within budget, and returns that time; absl::nullopt,
  // reserving nothing, when that time is not before `deadline`.
  absl::optional<absl::Time> Reserve(absl::string_view token, absl::Time now,
                                     absl::Time deadline);

  // Learns from an answer's headers: X-HubSpot-RateLimit-Max and
  // -Interval-Milliseconds replace the budget; a -Remaining lower than this
  // limiter's own count (other clients share the budget) fills the current
  // window so later reservations wait. A 429 holds every reservation back
  // for its Retry-After, or for one interval when HubSpot gives none.
  void Observe(absl::string_view token, const HttpResponse& response, absl::Time now);

 private:
  struct Window {
    RateBudget budget;
    // Reserved send times, non-decreasing; at most budget.max_requests kept.
    std::deque<absl::Time> grants;
    // No reservation before this (after a 429).
    absl::Time paused_until = absl::InfinitePast();
  };

  Window& WindowFor(absl::string_view token) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RateBudget default_budget_;
  absl::Mutex mu_;
  // Keyed by a hash of the token: the limiter never keeps tokens.
  absl::flat_hash_map<uint64_t, Window> windows_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_RATE_LIMITER_H_
