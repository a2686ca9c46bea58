// RateLimiter enforces HubSpot's per-token request limits: a rolling window
// (e.g. 190 requests per 10 s) and an optional cap over the process lifetime
// (HubSpot's "daily" limit). Thread-safe; time comes from an injected clock.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_RATE_LIMITER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_RATE_LIMITER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace hubspot_simulator {

class RateLimiter {
 public:
  struct Options {
    int64_t window_limit = 190;  // Requests per window; 0 = unlimited.
    // What the X-HubSpot-RateLimit-Max header says (0: window_limit), for
    // portals whose real limit is below the one advertised.
    int64_t advertised_window_limit = 0;
    // Whether answers carry the X-HubSpot-RateLimit-* headers of the window
    // (HubSpot's 2026 specs exempt some APIs from the ten-secondly limit and
    // its headers).
    bool window_headers = true;
    absl::Duration window = absl::Seconds(10);
    int64_t daily_limit = 0;  // Requests per token per lifetime; 0 = unlimited.
  };

  enum class Verdict { kAllowed, kWindowExceeded, kDailyExceeded };

  struct Decision {
    Verdict verdict = Verdict::kAllowed;
    // What is left after this request (0 when the limit is unlimited).
    int64_t window_remaining = 0;
    int64_t daily_remaining = 0;
  };

  using Clock = std::function<absl::Time()>;

  explicit RateLimiter(Options options, Clock clock = absl::Now);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Counts one request by `token` if both limits allow it; a rejected request
  // is not counted, so a client that backs off recovers when the window rolls.
  Decision Acquire(absl::string_view token);

  // What Acquire would report as remaining, without counting a request.
  Decision Peek(absl::string_view token) const;

  // Forgets every token's history.
  void Reset();

  const Options& options() const { return options_; }

 private:
  struct TokenState {
    std::deque<absl::Time> admitted;  // Times of requests still in the window.
    int64_t daily_used = 0;
  };

  // Requests of `state` that are inside the window ending at `now`.
  int64_t InWindow(const TokenState& state, absl::Time now) const;
  Decision Describe(Verdict verdict, int64_t window_used, int64_t daily_used) const;

  const Options options_;
  const Clock clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, TokenState> tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_RATE_LIMITER_H_
