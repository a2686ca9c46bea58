// RedisBudgetStore shares each token's budget between gateway replicas
// through Redis (--budget_store). One Lua script does a reservation in one
// round trip: the rolling window (request counts in 1%-of-interval buckets,
// like TokenBudget's), the learned limit (lowered by a 429 to what the window
// held, climbing back by one per interval), the lanes' shares (bulk never
// past bulk_share of the window), Retry-After pauses and DAILY exhaustion.
// Every answer updates that state too (headers, 429s), so what one replica
// learns holds for all. Keys are a SHA-256 of the token, never the token.
//
// Each RedisBudget asks for one request slot at a time, asynchronously: its
// NextSendTime answers InfiniteFuture while the reservation is out and wakes
// its dispatcher when Redis grants it (or says how long to wait), so no
// thread ever blocks on Redis. While Redis is down or slower than
// --budget_store_timeout, every budget falls back to a local TokenBudget of
// limit / --budget_store_replicas (the store logs one line and counts it),
// and returns to the shared budget once Redis answers again. Unlike the local
// budget, the shared one trusts the advertised limit without probing, and
// keeps the configured interval.
// Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_REDIS_BUDGET_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_REDIS_BUDGET_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/budget/budget.h"
#include "server/budget/budget_store_observer.h"
#include "server/clock/scheduler.h"
#include "server/redis/redis_connection.h"

namespace hubspot_gateway {

struct BudgetStoreOptions {
  RedisConnectionOptions redis;
  // Replicas expected to share a token: each one's fallback budget is
  // limit / replicas.
  int replicas = 2;
};

class RedisBudgetStore final : public RedisConnection::Listener {
 public:
  // Connects at once (in the background); everything passed must outlive
  // it. `log` gets one line each time the shared budget is lost or regained.
  RedisBudgetStore(BudgetStoreOptions options, BudgetPolicy policy, Scheduler& scheduler,
                   BudgetStoreObserver& observer, std::function<void(absl::string_view)> log);
  ~RedisBudgetStore() override;

  // Makes RedisBudgets (the Dispatcher's factory).
  BudgetFactory Budgets();

  // Whether reservations go to Redis now (not the local fallback).
  bool shared() const { return connection_->up(); }

  // Reserves a request slot of `lane` for the token of `key`; `done` gets
  // {granted, wait_ms, limit, bucket, daily_ms} on the connection's thread.
  // False when Redis is not up (then `done` never runs).
  bool Reserve(const std::string& key, Lane lane,
               absl::AnyInvocable<void(absl::StatusOr<std::vector<int64_t>>) &&> done);
  // Tells Redis of an answer to a request counted in `bucket` (-1: counted
  // locally); nothing happens while Redis is down.
  void Observe(const std::string& key, const UpstreamAnswer& answer, int64_t bucket);

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
  // The script's arguments common to both operations.
  std::vector<std::string> ScriptArgs(absl::string_view op) const;
  // EVALSHA of the script with `args`; EVAL once when Redis lacks it.
  bool Eval(const std::string& key, std::vector<std::string> args,
            absl::AnyInvocable<void(absl::StatusOr<std::vector<int64_t>>) &&> done);

  const BudgetStoreOptions options_;
  const BudgetPolicy policy_;
  Scheduler& scheduler_;
  BudgetStoreObserver& observer_;
  const std::function<void(absl::string_view)> log_;
  const std::string script_sha_;
  std::unique_ptr<RedisConnection> connection_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_REDIS_BUDGET_H_
