// TokenBudget is one HubSpot token's share of the rate budget as the
// dispatcher plans with it: a rolling window of the requests sent (a count
// per time bucket, so memory is O(1) whatever limit upstream advertises),
// the level known to be accepted (the configured limit at first; past it
// requests probe, few at a time: one more per accepted probe, as TCP's slow
// start does, up to a twenty-fifth of the level and 4 while the level is
// within HubSpot's tiers, 64 past them),
// the limit learned from headers and 429s (lowered to what the window held
// at a 429, never below a tenth of the ceiling, then climbing back by one
// request per interval), pauses asked
// by Retry-After (bounded), the daily limit, and the lanes' shares. While
// HubSpot advertises no limit, the limit is discovered (BudgetPolicy::discover).
// The local Budget: a process's own count, and (limit_share < 1) a replica's
// fallback while the shared budget is out of reach.
// Not thread-safe: its TokenDispatcher holds it under its own lock (or a
// RedisBudget, as its fallback, under that same lock). Takes no lock and
// runs no callback of its own.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_TOKEN_BUDGET_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_TOKEN_BUDGET_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "server/budget/budget.h"
#include "server/hubspot/archive_response.h"

namespace hubspot_gateway {

// Budgets of this process alone (`wake` is never needed).
BudgetFactory LocalBudgets(const BudgetPolicy& policy);

class TokenBudget final : public Budget {
 public:
  explicit TokenBudget(const BudgetPolicy& policy);

  absl::Time NextSendTime(Lane lane, absl::Time now) override;
  Ticket Spend(absl::Time now) override;
  // Also: a success past the known level confirms it; a rolling-limit 429
  // tells how many requests HubSpot held (those of the window before it), and
  // the rejected request leaves the count.
  void Observe(const UpstreamAnswer& answer, absl::Time now, const Ticket& ticket) override;

  bool DailyExhausted(absl::Time now) const override { return now < daily_blocked_until_; }
  // The lanes' shares derive from it.
  int effective_limit() const override { return effective_limit_; }
  absl::Duration interval() const override { return interval_; }
  // Requests in the window ending at `now` (HubSpot's count as planned).
  int UsedAt(absl::Time now);
  bool IsIdle(absl::Time now) const override { return now - last_spend_ >= 2 * interval_; }

 private:
  // `requests` of the whole token's limit scaled to policy_.limit_share.
  int Share(int requests) const;
  int64_t BucketOf(absl::Time time) const;
  // Moves the ring forward to `now`, zeroing the buckets that left it.
  void Advance(absl::Time now);
  // Re-buckets for a new interval: what was counted stays counted, in the newest bucket.
  void SetInterval(absl::Duration interval, absl::Time now);
  // The limit climbs back toward the ceiling by one per interval since a 429.
  void Recover(absl::Time now);
  int LaneLimit(Lane lane) const;
  // Requests counted in the window before request `sequence`, sent at `sent`
  // (the window's oldest bucket left out, so never more than were there).
  int HeldBefore(int64_t sequence, absl::Time sent, absl::Time now);
  // Adds `count` requests at `now`.
  void Count(absl::Time now, int count);
  // HubSpot's Remaining header counts requests this gateway did not make
  // (other clients of the app, other replicas): counts them as made now.
  void CountOthers(const RateLimitHeaders& headers, absl::Time now);
  // No limit advertised, and discovery on (with a limit to start from).
  bool Discovering() const;
  // The most requests that may probe past the known level at once.
  int MostProbes() const;
  // Takes the request of `ticket` out of the window (HubSpot rejected it, or
  // it is counted again from its answer); false when it had left already.
  bool Uncount(const Ticket& ticket);

  const BudgetPolicy policy_;
  absl::Duration interval_;
  // HubSpot counts a request when it arrives, later than its send time and
  // by varying delays: the window is kept this much longer.
  absl::Duration guard_;
  absl::Duration bucket_width_;
  // Requests sent per bucket; ring_[BucketOf(t) % size] for the newest buckets.
  std::vector<int32_t> ring_;
  int64_t newest_bucket_ = 0;
  // Every request ever counted (sent, or reported by Remaining).
  int64_t counted_total_ = 0;

  // The advertised (or configured) limit, and the one planned with.
  int ceiling_;
  int effective_limit_;
  // Set by a 429 until the limit has climbed back to the ceiling.
  bool lowered_ = false;
  // HubSpot sent X-HubSpot-RateLimit-Max: its limit is the ceiling, nothing is discovered.
  bool advertised_ = false;
  // Discovering, a rolling-limit 429 showed the real limit: no more slow start.
  bool discovered_ = false;
  // The most requests the window held before one HubSpot accepted (or, at a
  // 429, what it held): once discovered, the limit climbs past it by one at
  // most, so it rises only while whole windows are accepted at it.
  int confirmed_ = 0;
  // Requests per window HubSpot is known to accept; past it, at most
  // probe_allowance_ requests are in flight at once.
  int known_level_;
  int probe_allowance_ = 1;
  int probes_in_flight_ = 0;
  // How long the limit waits between raises; doubles while 429s keep coming
  // at the same level.
  absl::Duration raise_period_;
  absl::Time last_raise_ = absl::InfinitePast();
  absl::Time paused_until_ = absl::InfinitePast();
  absl::Time daily_blocked_until_ = absl::InfinitePast();
  absl::Time last_spend_ = absl::InfinitePast();
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_TOKEN_BUDGET_H_
