#include "server/dispatch/rate_limiter.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/numbers.h"
#include "server/hubspot/archive_response.h"

namespace hubspot_gateway {
namespace {

absl::optional<int64_t> IntHeader(const HttpResponse& response, absl::string_view name) {
  int64_t value = 0;
  auto header = response.Header(name);
  if (!header.has_value() || !absl::SimpleAtoi(*header, &value) || value < 0) {
    return absl::nullopt;
  }
  return value;
}

// HubSpot counts a request when it arrives, later than this limiter's send
// time and by varying network delays: each window is kept this much longer.
absl::Duration Guard(absl::Duration interval) { return interval / 50 + absl::Milliseconds(10); }

// Requests reserved in the window ending at `now`.
int UsedAt(const std::deque<absl::Time>& grants, absl::Duration interval, absl::Time now) {
  return static_cast<int>(std::count_if(grants.begin(), grants.end(), [&](absl::Time t) {
    return t > now - interval && t <= now;
  }));
}

}  // namespace

RateLimiter::RateLimiter(RateBudget default_budget) : default_budget_(default_budget) {}

RateLimiter::Window& RateLimiter::WindowFor(absl::string_view token) {
  auto [it, inserted] = windows_.try_emplace(absl::HashOf(token));
  if (inserted) it->second.budget = default_budget_;
  return it->second;
}

absl::optional<absl::Time> RateLimiter::Reserve(absl::string_view token, absl::Time now,
                                                absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  Window& window = WindowFor(token);
  const int max = window.budget.max_requests;
  absl::Time slot = std::max(now, window.paused_until);
  if (max == 0) return slot < deadline ? absl::optional<absl::Time>(slot) : absl::nullopt;
  if (static_cast<int>(window.grants.size()) >= max) {
    // The request `max` back must have left the window first.
    slot = std::max(slot, window.grants[window.grants.size() - max] + window.budget.interval +
                              Guard(window.budget.interval));
  }
  if (slot >= deadline) return absl::nullopt;
  window.grants.push_back(slot);
  while (static_cast<int>(window.grants.size()) > max) window.grants.pop_front();
  return slot;
}

void RateLimiter::Observe(absl::string_view token, const HttpResponse& response,
                          absl::Time now) {
  absl::MutexLock lock(&mu_);
  Window& window = WindowFor(token);
  if (auto max = IntHeader(response, "x-hubspot-ratelimit-max"); max.has_value() && *max > 0) {
    window.budget.max_requests = static_cast<int>(*max);
  }
  if (auto interval = IntHeader(response, "x-hubspot-ratelimit-interval-milliseconds");
      interval.has_value() && *interval > 0) {
    window.budget.interval = absl::Milliseconds(*interval);
  }
  if (response.status_code == 429) {
    absl::optional<absl::Duration> retry_after;
    if (auto header = response.Header("retry-after"); header.has_value()) {
      retry_after = ParseRetryAfter(*header, now);
    }
    window.paused_until = std::max(
        window.paused_until, now + retry_after.value_or(window.budget.interval));
    return;
  }
  const int max = window.budget.max_requests;
  if (max == 0) return;
  if (absl::optional<int64_t> remaining = IntHeader(response, "x-hubspot-ratelimit-remaining");
      remaining.has_value()) {
    // HubSpot counts requests this limiter did not make (other clients of the
    // same app): count them as made now.
    int missing = max - static_cast<int>(*remaining) -
                  UsedAt(window.grants, window.budget.interval, now);
    for (; missing > 0; --missing) {
      window.grants.insert(std::upper_bound(window.grants.begin(), window.grants.end(), now),
                           now);
    }
  }
  while (static_cast<int>(window.grants.size()) > max) window.grants.pop_front();
}

}  // namespace hubspot_gateway
