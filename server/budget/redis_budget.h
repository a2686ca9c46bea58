// RedisBudgetStore shares each token's budget between gateway replicas
// through Redis (--budget_store). One Lua script (budget_script.lua, named
// arguments in, name/value pairs out) runs TokenBudget's algorithm over a
// Redis hash in one round trip per reservation: the rolling window, the
// learned limit, the lanes' shares, Retry-After pauses and DAILY exhaustion.
// Every answer updates that state too (headers, 429s), so what one replica
// learns holds for all; budget_parity_test holds the script and TokenBudget
// to the same decisions. Keys are a SHA-256 of the token, never the token.
//
// Each RedisBudget asks for one request slot at a time, asynchronously: its
// NextSendTime answers InfiniteFuture while the reservation is out and wakes
// its dispatcher when Redis grants it (or says how long to wait), so no
// thread ever blocks on Redis. While Redis is down or slower than
// --budget_store_timeout, or answers the script with an error (OOM under
// maxmemory, READONLY from a replica, any -ERR; a NOSCRIPT is cured by
// sending the script itself once), every budget falls back to a local
// TokenBudget of limit / --budget_store_replicas (the store logs one line and
// counts it; errors that go on are logged at most once a minute), and
// returns to the shared budget once Redis answers again. What Redis answers
// is bounded as HubSpot's headers are (the script bounds what it reads; the
// reply is bounded again here): no stored value pauses a token past
// --max_retry_after. Two decisions
// stay per replica: the shared budget trusts the advertised limit without
// probing past it a few requests at a time (probing is about one process's
// requests in flight), and keeps the configured interval.
// Thread-safe. Lock order: the dispatcher's lock, then a RedisBudget's
// state lock, then the store's health lock (a leaf) or the connection's
// queue lock (RedisConnection::Command);
// replies run on the connection's thread and take the state lock (and,
// under it, the Scheduler's to post the dispatcher's wake-up: the dispatcher
// runs later on the Scheduler's thread, never inside a reply). The log
// callback, the Listener methods and the BudgetStoreObserver also run on
// the connection's thread, holding none of these locks.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_REDIS_BUDGET_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_REDIS_BUDGET_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/budget/budget.h"
#include "server/budget/budget_store_observer.h"
#include "server/clock/scheduler.h"
#include "server/common/log.h"
#include "server/redis/redis_connection.h"

namespace hubspot_gateway {

struct BudgetStoreOptions {
  RedisConnectionOptions redis;
  // Replicas expected to share a token: each one's fallback budget is
  // limit / replicas.
  int replicas = 2;
  // Replicas plan on Redis's clock, the one clock they share. False: on the
  // store's Scheduler (one host, or a test that moves time itself).
  bool plan_with_redis_clock = true;
};

// What the budget script answered a reservation.
struct StoreReservation {
  bool granted = false;
  // When not granted: how long until a request of its lane may go.
  absl::Duration wait;
  // The limit the shared budget plans with.
  int limit = 0;
  // When granted: the request's number in the shared count, and when it was
  // counted (Redis's clock, in Unix milliseconds); the answer names them.
  int64_t sequence = -1;
  int64_t sent_ms = -1;
  // Time left of a daily-limit stop (zero: none).
  absl::Duration daily;
};

class RedisBudgetStore final : public RedisConnection::Listener {
 public:
  // Connects at once (in the background); everything passed must outlive
  // it. `log` gets one line each time the shared budget is lost (WARNING) or
  // regained (INFO).
  RedisBudgetStore(BudgetStoreOptions options, BudgetPolicy policy, Scheduler& scheduler,
                   BudgetStoreObserver& observer,
                   std::function<void(LogLevel, absl::string_view)> log);
  ~RedisBudgetStore() override;

  // Makes RedisBudgets (the Dispatcher's factory).
  BudgetFactory Budgets();

  // Whether reservations go to Redis now (not the local fallback): it is
  // connected, and has not answered the budget script with an error within
  // the last tenth of an interval.
  bool shared() const;

  // Reserves a request slot of `lane` for the token of `key`; `done` gets
  // the script's answer on the connection's thread. False when Redis is not
  // up (then `done` never runs).
  bool Reserve(const std::string& key, Lane lane,
               absl::AnyInvocable<void(absl::StatusOr<StoreReservation>) &&> done);
  // Tells Redis of an answer to the request of `ticket` (counted locally
  // only when its store_sequence is -1); nothing happens while Redis is down.
  void Observe(const std::string& key, const UpstreamAnswer& answer, const BudgetTicket& ticket);

  // The Redis key of `token`'s budget.
  static std::string KeyOf(absl::string_view token);

  const BudgetPolicy& policy() const { return policy_; }
  const BudgetStoreOptions& options() const { return options_; }
  Scheduler& scheduler() { return scheduler_; }

  // RedisConnection::Listener: logs, and sets the fallback metrics.
  void OnUp() override;
  void OnDown(const absl::Status& why) override;
  void OnError() override;

 private:
  // The script's named arguments common to both operations.
  std::vector<std::string> ScriptArgs(absl::string_view op) const;
  // EVALSHA of the script with `args`; EVAL once when Redis lacks it.
  bool Eval(const std::string& key, std::vector<std::string> args, RedisConnection::Callback done);
  // Learns from the script's reply (`status`: OK, or why it failed). An
  // error reply, or a reply of the wrong shape, starts (or extends) a spell
  // of planning locally: logged when it starts, then at most once per
  // kFailureLogPeriod, and when Redis runs the script again. A lost
  // connection is OnDown's.
  void OnScriptReply(const absl::Status& status);

  const BudgetStoreOptions options_;
  const BudgetPolicy policy_;
  Scheduler& scheduler_;
  BudgetStoreObserver& observer_;
  const std::function<void(LogLevel, absl::string_view)> log_;
  const std::string script_sha_;

  mutable absl::Mutex health_mu_;
  // Redis answered the script with an error; until failing_until_ budgets
  // plan locally, then the next reservation tries Redis again.
  bool failing_ ABSL_GUARDED_BY(health_mu_) = false;
  absl::Time failing_until_ ABSL_GUARDED_BY(health_mu_) = absl::InfinitePast();
  // Error replies since the spell began, and since its last log line.
  int64_t failures_ ABSL_GUARDED_BY(health_mu_) = 0;
  int64_t failures_unlogged_ ABSL_GUARDED_BY(health_mu_) = 0;
  absl::Time failure_logged_at_ ABSL_GUARDED_BY(health_mu_) = absl::InfinitePast();

  std::unique_ptr<RedisConnection> connection_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_REDIS_BUDGET_H_
