#include "simulator/rate_limiter.h"

#include <algorithm>
#include <utility>

namespace hubspot_simulator {

RateLimiter::RateLimiter(Options options, Clock clock)
    : options_(std::move(options)), clock_(std::move(clock)) {}

int64_t RateLimiter::InWindow(const TokenState& state, absl::Time now) const {
  // A request at time t counts while now - t < window.
  const auto first_live =
      std::upper_bound(state.admitted.begin(), state.admitted.end(), now - options_.window);
  return state.admitted.end() - first_live;
}

RateLimiter::Decision RateLimiter::Describe(Verdict verdict, int64_t window_used,
                                            int64_t daily_used) const {
  Decision decision;
  decision.verdict = verdict;
  decision.window_remaining = std::max<int64_t>(0, options_.window_limit - window_used);
  decision.daily_remaining = std::max<int64_t>(0, options_.daily_limit - daily_used);
  return decision;
}

RateLimiter::Decision RateLimiter::Acquire(absl::string_view token) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  TokenState& state = tokens_[token];
  const int64_t live = InWindow(state, now);
  state.admitted.erase(state.admitted.begin(), state.admitted.end() - live);

  if (options_.daily_limit > 0 && state.daily_used >= options_.daily_limit) {
    return Describe(Verdict::kDailyExceeded, live, state.daily_used);
  }
  if (options_.window_limit > 0 && live >= options_.window_limit) {
    return Describe(Verdict::kWindowExceeded, live, state.daily_used);
  }
  if (options_.window_limit > 0) state.admitted.push_back(now);
  ++state.daily_used;
  return Describe(Verdict::kAllowed, live + 1, state.daily_used);
}

RateLimiter::Decision RateLimiter::Peek(absl::string_view token) const {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return Describe(Verdict::kAllowed, 0, 0);
  return Describe(Verdict::kAllowed, InWindow(it->second, now), it->second.daily_used);
}

void RateLimiter::Reset() {
  absl::MutexLock lock(&mu_);
  tokens_.clear();
}

}  // namespace hubspot_simulator
