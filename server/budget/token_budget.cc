#include "server/budget/token_budget.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <numeric>
#include <string>

namespace hubspot_gateway {
namespace {

// Buckets per interval: the window is counted to 1% of an interval.
constexpr int kBucketsPerInterval = 100;

absl::Duration GuardFor(absl::Duration interval) { return interval / 50 + absl::Milliseconds(10); }

// The ring keeps buckets this much longer than the window, so an answer that
// comes this late (a loaded machine, a slow upstream) still tells exactly
// what the window held when its request was sent.
absl::Duration LateAnswersFor(absl::Duration interval) { return interval / 2; }

// Past the known level, while it is within HubSpot's tiers, at most a
// twenty-fifth of it probes at once, and never more than 4: a limit found
// there costs at most 4 429s, once. Past every tier, 64.
constexpr int kKnownLevelPerProbe = 25;
constexpr int kMostProbesWithinTiers = 4;
constexpr int kMostProbesPastTiers = 64;

}  // namespace

BudgetFactory LocalBudgets(const BudgetPolicy& policy) {
  return [policy](const std::string& /*token*/, absl::AnyInvocable<void()> /*wake*/) {
    return std::make_unique<TokenBudget>(policy);
  };
}

TokenBudget::TokenBudget(const BudgetPolicy& policy)
    : policy_(policy),
      ceiling_(Share(policy.max_requests)),
      effective_limit_(ceiling_),
      known_level_(ceiling_ > 0 ? ceiling_ : std::numeric_limits<int>::max()),
      raise_period_(policy.interval) {
  SetInterval(policy.interval, absl::UnixEpoch());
}

int TokenBudget::Share(int requests) const {
  if (policy_.limit_share >= 1 || requests <= 0) return requests;
  return std::max(1, static_cast<int>(requests * policy_.limit_share));
}

int64_t TokenBudget::BucketOf(absl::Time time) const {
  absl::Duration remainder;
  return absl::IDivDuration(time - absl::UnixEpoch(), bucket_width_, &remainder);
}

void TokenBudget::SetInterval(absl::Duration interval, absl::Time now) {
  const int32_t counted = std::accumulate(ring_.begin(), ring_.end(), 0);
  interval_ = interval;
  guard_ = GuardFor(interval);
  bucket_width_ = interval / kBucketsPerInterval;
  const int buckets =
      static_cast<int>(absl::Ceil(interval + guard_ + LateAnswersFor(interval), bucket_width_) /
                       bucket_width_) +
      2;
  ring_.assign(buckets, 0);
  newest_bucket_ = BucketOf(now);
  ring_[newest_bucket_ % buckets] = counted;
}

void TokenBudget::Advance(absl::Time now) {
  const int64_t bucket = BucketOf(now);
  if (bucket <= newest_bucket_) return;
  const int64_t size = static_cast<int64_t>(ring_.size());
  if (bucket - newest_bucket_ >= size) {
    std::fill(ring_.begin(), ring_.end(), 0);
  } else {
    for (int64_t b = newest_bucket_ + 1; b <= bucket; ++b) ring_[b % size] = 0;
  }
  newest_bucket_ = bucket;
}

int TokenBudget::UsedAt(absl::Time now) {
  Advance(now);
  const int64_t size = static_cast<int64_t>(ring_.size());
  const int64_t oldest = std::max(BucketOf(now - interval_ - guard_), newest_bucket_ - size + 1);
  int used = 0;
  for (int64_t b = oldest; b <= newest_bucket_; ++b) used += ring_[b % size];
  return used;
}

void TokenBudget::Recover(absl::Time now) {
  if (!lowered_) return;
  absl::Duration remainder;
  const int64_t raises = absl::IDivDuration(now - last_raise_, raise_period_, &remainder);
  if (raises <= 0) return;
  int64_t raised = std::min<int64_t>(ceiling_, effective_limit_ + raises);
  // A discovered limit climbs only past a window HubSpot accepted whole.
  if (discovered_ && !advertised_) {
    raised = std::max<int64_t>(effective_limit_, std::min<int64_t>(raised, confirmed_ + 1));
  }
  effective_limit_ = static_cast<int>(raised);
  last_raise_ += raises * raise_period_;
  if (effective_limit_ >= ceiling_) lowered_ = false;
}

int TokenBudget::LaneLimit(Lane lane) const {
  if (lane == Lane::kInteractive) return effective_limit_;
  return std::max(1, static_cast<int>(effective_limit_ * policy_.bulk_share));
}

absl::Time TokenBudget::NextSendTime(Lane lane, absl::Time now) {
  Recover(now);
  const absl::Time earliest = std::max({now, paused_until_, daily_blocked_until_});
  if (effective_limit_ == 0) return earliest;
  const int limit = LaneLimit(lane);
  int used = UsedAt(now);
  if (used < limit) {
    // Past the known level, an answer (which pumps again) must make room.
    if (used >= known_level_ && probes_in_flight_ >= probe_allowance_) {
      return std::max(earliest, now + interval_);
    }
    return earliest;
  }
  // Wait until enough of the oldest buckets have left the window.
  const int64_t size = static_cast<int64_t>(ring_.size());
  const int64_t oldest = std::max(BucketOf(now - interval_ - guard_), newest_bucket_ - size + 1);
  for (int64_t b = oldest; b <= newest_bucket_; ++b) {
    used -= ring_[b % size];
    if (used < limit) {
      const absl::Time leaves = absl::UnixEpoch() + (b + 1) * bucket_width_ + interval_ + guard_;
      return std::max(earliest, leaves);
    }
  }
  return std::max(earliest, now + interval_ + guard_);
}

void TokenBudget::Count(absl::Time now, int count) {
  Advance(now);
  ring_[newest_bucket_ % static_cast<int64_t>(ring_.size())] += count;
  counted_total_ += count;
}

TokenBudget::Ticket TokenBudget::Spend(absl::Time now) {
  Ticket ticket;
  ticket.probe = UsedAt(now) >= known_level_;
  if (ticket.probe) ++probes_in_flight_;
  Count(now, 1);
  last_spend_ = std::max(last_spend_, now);
  ticket.sequence = counted_total_;
  ticket.sent = now;
  return ticket;
}

bool TokenBudget::Uncount(const Ticket& ticket) {
  const int64_t bucket = BucketOf(ticket.sent);
  const int64_t size = static_cast<int64_t>(ring_.size());
  if (bucket <= newest_bucket_ - size || bucket > newest_bucket_ || ring_[bucket % size] == 0) {
    return false;
  }
  --ring_[bucket % size];
  return true;
}

int TokenBudget::HeldBefore(int64_t sequence, absl::Time sent, absl::Time now) {
  Advance(now);
  const int64_t size = static_cast<int64_t>(ring_.size());
  const int64_t window_start = BucketOf(sent - interval_ - guard_);
  if (window_start < newest_bucket_ - size + 1) return UsedAt(now) - 1;  // Too long ago.
  // Everything counted up to the bucket where the window began.
  int64_t since_window = 0;
  for (int64_t b = window_start + 1; b <= newest_bucket_; ++b) since_window += ring_[b % size];
  const int64_t before_window = counted_total_ - since_window;
  return static_cast<int>(std::max<int64_t>(0, sequence - 1 - before_window));
}

void TokenBudget::Observe(const UpstreamAnswer& answer, absl::Time now, const Ticket& ticket) {
  if (ticket.probe) --probes_in_flight_;
  const RateLimitHeaders& headers = answer.rate_limit;
  if (headers.interval.has_value() && *headers.interval != interval_) {
    SetInterval(*headers.interval, now);
  }
  if (headers.max.has_value()) {
    advertised_ = true;
    ceiling_ = Share(*headers.max);
    if (!lowered_ || effective_limit_ > ceiling_) effective_limit_ = ceiling_;
  }
  Recover(now);
  if (headers.daily_remaining.has_value()) {
    daily_blocked_until_ =
        *headers.daily_remaining == 0 ? now + policy_.max_pause : absl::InfinitePast();
  }
  const absl::Duration retry_after =
      std::min(answer.retry_after.value_or(absl::ZeroDuration()), policy_.max_pause);
  if (answer.outcome == AnswerOutcome::kDailyLimit) {
    daily_blocked_until_ = now + (answer.retry_after.has_value() ? retry_after : policy_.max_pause);
    return;
  }
  if (answer.outcome == AnswerOutcome::kRollingLimit) {
    // HubSpot's real limit is at most what the window held when this hit (a
    // tenth of the ceiling at least, so one stray 429 cannot stall a token).
    const int held = std::max({1, ceiling_ / 10, HeldBefore(ticket.sequence, ticket.sent, now)});
    // 429s at the level just learned: wait longer before trying it again.
    raise_period_ = lowered_ && held >= effective_limit_ - 1
                        ? std::min(2 * raise_period_, 8 * interval_)
                        : raise_period_;
    if (effective_limit_ == 0 || held < effective_limit_) effective_limit_ = held;
    confirmed_ = held;
    if (Discovering()) {
      // The real limit is about what the window held: climb past it slowly.
      discovered_ = true;
      ceiling_ = 2 * held;
    }
    known_level_ = std::min(known_level_, held);
    probe_allowance_ = 1;
    lowered_ = true;
    last_raise_ = now;
    Uncount(ticket);
    // With a 429 HubSpot may report the window full because others spent it
    // (another replica, another client): without counting that, the lowered
    // limit would let this budget send again at once.
    CountOthers(headers, now);
    paused_until_ = std::max(paused_until_, now + retry_after);
    return;
  }
  // HubSpot counted it when it arrived, which may be well after it was sent
  // (a queue for connections, a slow network): count it from its answer on.
  if (answer.http_status != 0 && Uncount(ticket)) {
    Advance(now);
    ++ring_[newest_bucket_ % static_cast<int64_t>(ring_.size())];
  }
  // By status, as budget_script.lua reads it.
  const bool success = answer.http_status >= 200 && answer.http_status <= 299;
  // HubSpot took it: the window held this many when it was sent.
  const int accepted_at =
      success && ticket.sequence > 0 ? HeldBefore(ticket.sequence, ticket.sent, now) + 1 : 0;
  confirmed_ = std::max(confirmed_, accepted_at);
  if (success && Discovering() && !discovered_ && !lowered_) {
    if (confirmed_ > Share(AboveEveryTier(interval_))) {
      // More than any HubSpot tier allows: no burst limit to find. Pace no
      // more (a 429 sets a limit again).
      ceiling_ = effective_limit_ = 0;
    } else if (2 * UsedAt(now) >= effective_limit_) {
      // Slow start: every success while the window is half used or more
      // raises the limit by one (sends past the known level still probe).
      ceiling_ = ++effective_limit_;
    }
  }
  if (ticket.probe && success) {
    // The level it was sent at is known to be accepted; one more may probe.
    known_level_ = std::max(known_level_, accepted_at);
    probe_allowance_ = std::min(probe_allowance_ + 1, MostProbes());
  }
  CountOthers(headers, now);
}

bool TokenBudget::Discovering() const {
  return policy_.discover && !advertised_ && effective_limit_ > 0;
}

int TokenBudget::MostProbes() const {
  if (known_level_ > Share(AboveEveryTier(interval_))) return kMostProbesPastTiers;
  return std::clamp(known_level_ / kKnownLevelPerProbe, 1, kMostProbesWithinTiers);
}

void TokenBudget::CountOthers(const RateLimitHeaders& headers, absl::Time now) {
  if (!headers.remaining.has_value() || ceiling_ <= 0) return;
  const int missing = ceiling_ - Share(*headers.remaining) - UsedAt(now);
  if (missing > 0) Count(now, missing);
}

}  // namespace hubspot_gateway
