// Budget is one HubSpot token's share of the rate budget as its
// TokenDispatcher plans with it: when a request of a lane may go, counting
// what was sent, and learning from each answer. Two implementations: the
// local TokenBudget (one process) and RedisBudget (replicas sharing one
// budget in Redis). A budget that must ask elsewhere answers
// NextSendTime with InfiniteFuture and calls its `wake` once it knows more,
// so the dispatcher never blocks on it.
// Not thread-safe: its TokenDispatcher calls every method under its own lock
// (the first in the lock order: a budget's own locks come after it). `wake`
// runs on another thread (the Redis connection's), never from inside a
// method, and must only post work (the dispatcher posts a Pump to its
// Scheduler), never call into the dispatcher.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_BUDGET_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_BUDGET_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/hubspot/archive_response.h"
#include "server/lane/lane.h"

namespace hubspot_gateway {

struct BudgetPolicy {
  // Requests per `interval` until HubSpot's headers say otherwise; 0 means
  // no limit of the gateway's own (headers and 429s still apply).
  // HubSpot's lowest tier (README, "Rate limits"): discovery raises it.
  int max_requests = 100;
  absl::Duration interval = absl::Seconds(10);
  // The share of each window bulk work may use.
  double bulk_share = 0.8;
  // The longest pause any Retry-After (or a DAILY 429) can cause.
  absl::Duration max_pause = absl::Seconds(60);
  // While HubSpot advertises no limit (no X-HubSpot-RateLimit-Max), take the
  // configured one as a first guess only: raise it by one per success while
  // the window is at least half used (slow start), until a rolling-limit 429
  // shows the real one (or the window held more than any HubSpot tier
  // allows: then stop pacing until a 429); from there hold it, and climb by
  // one per raise period only once a full window was accepted at it
  // (additive increase, the period doubling while 429s come at the same level).
  bool discover = true;
  // The share of the token's limit (configured, advertised or learned) this
  // budget may spend: 1 alone, 1/N for one of N replicas that lost their
  // shared budget.
  double limit_share = 1.0;
};

// HubSpot publishes burst limits of 100, 190 and 250 requests per 10 s. A
// window that held more accepted requests than this, per 10 s (past 250,
// with room for how a window is counted), shows that upstream enforces no
// burst limit: a discovering budget stops pacing then, until a 429.
inline constexpr int kAboveEveryTierPer10s = 300;

// kAboveEveryTierPer10s for a window of `interval`.
inline int AboveEveryTier(absl::Duration interval) {
  return static_cast<int>(kAboveEveryTierPer10s * absl::ToInt64Milliseconds(interval) / 10000);
}

// What Spend hands out and Observe takes back: which request an answer is for.
struct BudgetTicket {
  // Its number in the count (1, 2, ...).
  int64_t sequence = 0;
  absl::Time sent;
  // Sent past the level known to be accepted, to find out whether HubSpot
  // takes more (the advertised or climbed limit not yet confirmed).
  bool probe = false;
  // Its number in the shared store's count, and when the store counted it
  // (Unix milliseconds on the store's clock); -1 when counted only locally.
  int64_t store_sequence = -1;
  int64_t store_sent_ms = -1;
};

class Budget {
 public:
  using Ticket = BudgetTicket;

  virtual ~Budget() = default;

  // The earliest time >= `now` at which a request of `lane` may be sent;
  // InfiniteFuture while the answer is being fetched (`wake` follows).
  virtual absl::Time NextSendTime(Lane lane, absl::Time now) = 0;
  // Counts one request sent at `now` (right after NextSendTime allowed it).
  virtual Ticket Spend(absl::Time now) = 0;
  // Learns from the answer, received at `now`, to the request of `ticket`:
  // headers re-plan; a rolling-limit 429 lowers the limit; a DAILY one stops
  // the token.
  virtual void Observe(const UpstreamAnswer& answer, absl::Time now, const Ticket& ticket) = 0;
  // Whether HubSpot's daily limit stops this token at `now`.
  virtual bool DailyExhausted(absl::Time now) const = 0;
  // Whether what holds the token at `now` (its daily stop, or the wait
  // before its next send) is what a shared store says (another replica's
  // finding, or a value only the store has), not HubSpot's answers to this
  // process: what a call is told then names the store, not HubSpot.
  virtual bool HeldByStore(absl::Time /*now*/) const { return false; }
  // The limit being planned with (0: none).
  virtual int effective_limit() const = 0;
  virtual absl::Duration interval() const = 0;
  // Nothing sent for two intervals: the budget can be forgotten.
  virtual bool IsIdle(absl::Time now) const = 0;
};

// Makes the budget of `token`. `wake` may be called from any thread, never
// from inside the budget's own methods, never after its destructor returned.
using BudgetFactory = std::function<std::unique_ptr<Budget>(const std::string& token,
                                                            absl::AnyInvocable<void()> wake)>;

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_BUDGET_H_
