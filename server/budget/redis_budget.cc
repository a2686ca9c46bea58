#include "server/budget/redis_budget.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "server/budget/token_budget.h"
#include "server/common/digest.h"

namespace hubspot_gateway {
namespace {

// budget_script.lua, embedded at build time.
constexpr char kScript[] =
#include "server/budget/budget_script.inc"
    ;

// The script answers name/value pairs; `names` must all be there.
absl::StatusOr<absl::flat_hash_map<std::string, int64_t>> FieldsOf(
    absl::StatusOr<RedisReply> reply, std::initializer_list<absl::string_view> names) {
  if (!reply.ok()) return reply.status();
  absl::flat_hash_map<std::string, int64_t> fields;
  const std::vector<RedisReply>& elements = reply->elements;
  for (size_t i = 0; i + 1 < elements.size(); i += 2) {
    fields[elements[i].text] = elements[i + 1].integer;
  }
  for (absl::string_view name : names) {
    if (!fields.contains(name)) {
      return absl::InternalError(absl::StrCat("the budget script's reply lacks ", name));
    }
  }
  return fields;
}

std::string Milliseconds(absl::Duration duration) {
  return absl::StrCat(absl::ToInt64Milliseconds(duration));
}

// `ms` milliseconds from a reply, bounded to [0, max].
absl::Duration BoundedMillis(int64_t ms, absl::Duration max) {
  return std::clamp(absl::Milliseconds(ms), absl::ZeroDuration(), max);
}

// Error replies that go on are logged at most this often.
constexpr absl::Duration kFailureLogPeriod = absl::Minutes(1);

// One token's budget in Redis, with its local fallback. Its dispatcher calls
// it under its own lock; replies arrive on the connection's thread.
class RedisBudget final : public Budget {
 public:
  RedisBudget(RedisBudgetStore& store, std::string key, absl::AnyInvocable<void()> wake)
      : store_(store),
        key_(std::move(key)),
        fallback_(FallbackPolicy(store.policy(), store.options().replicas)),
        state_(std::make_shared<State>()) {
    state_->wake = std::move(wake);
    state_->limit = store.policy().max_requests;
  }

  ~RedisBudget() override {
    // A reply still out must not wake a dispatcher that is going away.
    absl::MutexLock lock(&state_->mu);
    state_->wake = nullptr;
  }

  absl::Time NextSendTime(Lane lane, absl::Time now) override {
    {
      absl::MutexLock lock(&state_->mu);
      if (state_->daily_until > now) return state_->daily_until;
      if (now >= state_->local_until && store_.shared()) {
        if (state_->grant.has_value()) {
          // A slot is counted from its reservation: one kept too long is let go.
          if (now - state_->grant->at < store_.policy().interval / 20) return now;
          state_->grant.reset();
        }
        if (state_->pending) return absl::InfiniteFuture();
        const absl::Time retry_at = state_->retry_at[static_cast<int>(lane)];
        if (retry_at > now) return retry_at;
        if (Reserve(lane, now)) return absl::InfiniteFuture();
      }
    }
    return fallback_.NextSendTime(lane, now);
  }

  Ticket Spend(absl::Time now) override {
    // The local count always runs, so a fallback starts from what this replica sent.
    Ticket ticket = fallback_.Spend(now);
    absl::MutexLock lock(&state_->mu);
    if (state_->grant.has_value()) {
      ticket.store_sequence = state_->grant->sequence;
      ticket.store_sent_ms = state_->grant->sent_ms;
      state_->grant.reset();
    }
    return ticket;
  }

  void Observe(const UpstreamAnswer& answer, absl::Time now, const Ticket& ticket) override {
    fallback_.Observe(answer, now, ticket);
    store_.Observe(key_, answer, ticket);
  }

  bool DailyExhausted(absl::Time now) const override {
    absl::MutexLock lock(&state_->mu);
    return now < state_->daily_until || fallback_.DailyExhausted(now);
  }

  bool HeldByStore(absl::Time now) const override {
    absl::MutexLock lock(&state_->mu);
    if (fallback_.DailyExhausted(now)) return false;  // HubSpot told this replica.
    return now < state_->daily_until || (now >= state_->local_until && store_.shared());
  }

  int effective_limit() const override {
    if (!store_.shared()) return fallback_.effective_limit();
    absl::MutexLock lock(&state_->mu);
    return state_->limit;
  }

  absl::Duration interval() const override { return store_.policy().interval; }

  bool IsIdle(absl::Time now) const override { return fallback_.IsIdle(now); }

 private:
  // A slot Redis counted, until Spend takes it.
  struct Grant {
    int64_t sequence;
    int64_t sent_ms;
    absl::Time at;
  };
  // What replies change: shared with the reply callbacks, which may outlive
  // the budget.
  struct State {
    absl::Mutex mu;
    absl::AnyInvocable<void()> wake ABSL_GUARDED_BY(mu);
    bool pending ABSL_GUARDED_BY(mu) = false;
    std::optional<Grant> grant ABSL_GUARDED_BY(mu);
    // When each lane may ask again, after Redis said no.
    absl::Time retry_at[2] ABSL_GUARDED_BY(mu) = {absl::InfinitePast(), absl::InfinitePast()};
    absl::Time daily_until ABSL_GUARDED_BY(mu) = absl::InfinitePast();
    // After a failed reservation, this token plans locally until then.
    absl::Time local_until ABSL_GUARDED_BY(mu) = absl::InfinitePast();
    int limit ABSL_GUARDED_BY(mu) = 0;
  };

  static BudgetPolicy FallbackPolicy(BudgetPolicy policy, int replicas) {
    policy.limit_share = 1.0 / replicas;
    return policy;
  }

  // Sends a reservation; false when Redis is not up.
  bool Reserve(Lane lane, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_->mu) {
    Scheduler& scheduler = store_.scheduler();
    const absl::Duration retry_local = store_.policy().interval / 10;
    const bool sent = store_.Reserve(
        key_, lane,
        [weak = std::weak_ptr<State>(state_), &scheduler, retry_local,
         lane](absl::StatusOr<StoreReservation> reply) {
          std::shared_ptr<State> state = weak.lock();
          if (state == nullptr) return;
          const absl::Time now = scheduler.Now();
          absl::MutexLock lock(&state->mu);
          state->pending = false;
          if (!reply.ok()) {
            state->local_until = now + retry_local;
          } else {
            if (reply->granted) {
              state->grant = Grant{reply->sequence, reply->sent_ms, now};
            } else {
              // No room for interactive work is none for bulk work either.
              const absl::Time retry_at = now + reply->wait;
              for (int l = static_cast<int>(lane); l < 2; ++l) {
                state->retry_at[l] = std::max(state->retry_at[l], retry_at);
              }
            }
            state->limit = reply->limit;
            state->daily_until =
                reply->daily > absl::ZeroDuration() ? now + reply->daily : absl::InfinitePast();
          }
          if (state->wake != nullptr) state->wake();
        });
    state_->pending = sent;
    return sent;
  }

  RedisBudgetStore& store_;
  const std::string key_;
  TokenBudget fallback_;
  const std::shared_ptr<State> state_;
};

}  // namespace

RedisBudgetStore::RedisBudgetStore(BudgetStoreOptions options, BudgetPolicy policy,
                                   Scheduler& scheduler, BudgetStoreObserver& observer,
                                   std::function<void(LogLevel, absl::string_view)> log)
    : options_(std::move(options)),
      policy_(policy),
      scheduler_(scheduler),
      observer_(observer),
      log_(std::move(log)),
      script_sha_(Sha1Hex(kScript)),
      connection_(std::make_unique<RedisConnection>(options_.redis, *this)) {}

RedisBudgetStore::~RedisBudgetStore() { connection_.reset(); }

bool RedisBudgetStore::shared() const {
  if (!connection_->up()) return false;
  const absl::Time now = scheduler_.Now();
  absl::MutexLock lock(&health_mu_);
  return !failing_ || now >= failing_until_;
}

BudgetFactory RedisBudgetStore::Budgets() {
  return [this](const std::string& token, absl::AnyInvocable<void()> wake) {
    return std::make_unique<RedisBudget>(*this, KeyOf(token), std::move(wake));
  };
}

std::string RedisBudgetStore::KeyOf(absl::string_view token) {
  return absl::StrCat("hubspot-gateway:budget:", Sha256Hex(token));
}

void RedisBudgetStore::OnUp() {
  observer_.OnBudgetStoreFallback(false);
  log_(LogLevel::kInfo,
       absl::StrCat("budget store: Redis at ", options_.redis.host, ":", options_.redis.port,
                    " answers; replicas share each token's budget"));
}

void RedisBudgetStore::OnDown(const absl::Status& why) {
  bool was_failing = false;
  {
    // A spell of error replies ends here: the lost connection now says why.
    absl::MutexLock lock(&health_mu_);
    was_failing = std::exchange(failing_, false);
  }
  if (!was_failing) observer_.OnBudgetStoreFallback(true);
  log_(
      LogLevel::kWarning,
      absl::StrCat("budget store: ", why.message(), "; each token falls back to a local budget of ",
                   "its limit / ", options_.replicas, " until Redis answers again"));
}

void RedisBudgetStore::OnError() { observer_.OnBudgetStoreError(); }

void RedisBudgetStore::OnScriptReply(const absl::Status& status) {
  if (!status.ok()) observer_.OnBudgetStoreError();
  if (!status.ok() && !IsErrorReply(status)) return;  // The connection's: OnDown says it.
  const absl::Time now = scheduler_.Now();
  std::string line;
  // Back to sharing is news; failing is a warning.
  LogLevel level = LogLevel::kWarning;
  std::optional<bool> fallback;
  {
    absl::MutexLock lock(&health_mu_);
    if (status.ok()) {
      if (!failing_) return;
      failing_ = false;
      fallback = false;
      level = LogLevel::kInfo;
      line = absl::StrCat("budget store: Redis runs the budget script again after ", failures_,
                          " error replies; replicas share each token's budget");
    } else {
      failing_until_ = now + policy_.interval / 10;
      ++failures_;
      ++failures_unlogged_;
      if (!failing_) {
        failing_ = true;
        failures_ = 1;
        failures_unlogged_ = 0;
        failure_logged_at_ = now;
        fallback = true;
        line = absl::StrCat("budget store: Redis answered the budget script with an error (",
                            status.message(), "); each token falls back to a local budget of ",
                            "its limit / ", options_.replicas,
                            " until the store runs the script again");
      } else if (now - failure_logged_at_ >= kFailureLogPeriod) {
        line = absl::StrCat("budget store: Redis still answers the budget script with errors (",
                            failures_unlogged_,
                            " since the last line; the latest: ", status.message(), ")");
        failures_unlogged_ = 0;
        failure_logged_at_ = now;
      }
    }
  }
  if (fallback.has_value()) observer_.OnBudgetStoreFallback(*fallback);
  if (!line.empty()) log_(level, line);
}

bool RedisBudgetStore::Eval(const std::string& key, std::vector<std::string> args,
                            RedisConnection::Callback done) {
  std::vector<std::string> command = {"EVALSHA", script_sha_, "1", key};
  command.insert(command.end(), args.begin(), args.end());
  return connection_->Command(std::move(command), [this, key, args = std::move(args),
                                                   done = std::move(done)](
                                                      absl::StatusOr<RedisReply> reply) mutable {
    if (!reply.ok() && absl::StartsWith(reply.status().message(), "NOSCRIPT")) {
      // Redis restarted (or flushed its scripts): send the script itself once.
      std::vector<std::string> eval = {"EVAL", kScript, "1", key};
      eval.insert(eval.end(), args.begin(), args.end());
      auto shared_done = std::make_shared<RedisConnection::Callback>(std::move(done));
      if (!connection_->Command(std::move(eval), [shared_done](absl::StatusOr<RedisReply> reply) {
            std::move (*shared_done)(std::move(reply));
          })) {
        std::move (*shared_done)(absl::UnavailableError("Redis went away"));
      }
      return;
    }
    std::move(done)(std::move(reply));
  });
}

std::vector<std::string> RedisBudgetStore::ScriptArgs(absl::string_view op) const {
  std::vector<std::string> args = {
      "op",           std::string(op),
      "configured",   absl::StrCat(policy_.max_requests),
      "interval_ms",  Milliseconds(policy_.interval),
      "bulk_share",   absl::StrCat(policy_.bulk_share),
      "max_pause_ms", Milliseconds(policy_.max_pause),
      "discover",     policy_.discover ? "1" : "0",
      "max_requests", absl::StrCat(RateLimitHeaders::kMaxAdvertisedRequests),
      "above_tiers",  absl::StrCat(AboveEveryTier(policy_.interval))};
  if (!options_.plan_with_redis_clock) {
    args.insert(args.end(), {"now_ms", absl::StrCat(absl::ToUnixMillis(scheduler_.Now()))});
  }
  return args;
}

bool RedisBudgetStore::Reserve(const std::string& key, Lane lane,
                               absl::AnyInvocable<void(absl::StatusOr<StoreReservation>) &&> done) {
  std::vector<std::string> args = ScriptArgs("reserve");
  args.insert(args.end(), {"lane", LaneName(lane)});
  const absl::Time start = absl::Now();
  return Eval(key, std::move(args),
              [this, start, done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                observer_.OnBudgetStoreReservation(absl::Now() - start);
                absl::StatusOr<absl::flat_hash_map<std::string, int64_t>> fields =
                    FieldsOf(std::move(reply),
                             {"granted", "wait_ms", "limit", "sequence", "sent_ms", "daily_ms"});
                // Planning locally starts before the budget hears of the failure.
                OnScriptReply(fields.status());
                if (!fields.ok()) {
                  std::move(done)(fields.status());
                  return;
                }
                // Bounded as the script bounds what it reads: a wait is at
                // most a pause or a window, a daily stop at most a pause.
                StoreReservation reservation;
                reservation.granted = (*fields)["granted"] == 1;
                reservation.wait =
                    BoundedMillis((*fields)["wait_ms"], policy_.max_pause + 2 * policy_.interval);
                reservation.limit = static_cast<int>(std::clamp<int64_t>(
                    (*fields)["limit"], 0, RateLimitHeaders::kMaxAdvertisedRequests));
                reservation.sequence = (*fields)["sequence"];
                reservation.sent_ms = (*fields)["sent_ms"];
                reservation.daily = BoundedMillis((*fields)["daily_ms"], policy_.max_pause);
                std::move(done)(reservation);
              });
}

void RedisBudgetStore::Observe(const std::string& key, const UpstreamAnswer& answer,
                               const BudgetTicket& ticket) {
  if (!shared()) return;
  const RateLimitHeaders& headers = answer.rate_limit;
  std::vector<std::string> args = ScriptArgs("observe");
  args.insert(
      args.end(),
      {"status", absl::StrCat(answer.http_status), "policy",
       answer.outcome == AnswerOutcome::kDailyLimit     ? "DAILY"
       : answer.outcome == AnswerOutcome::kRollingLimit ? "ROLLING"
                                                        : "",
       "retry_after_ms", answer.retry_after.has_value() ? Milliseconds(*answer.retry_after) : "-1",
       "max", absl::StrCat(headers.max.value_or(-1)), "remaining",
       absl::StrCat(headers.remaining.value_or(-1)), "daily_remaining",
       absl::StrCat(headers.daily_remaining.value_or(-1)), "sent_ms",
       absl::StrCat(ticket.store_sent_ms), "sequence", absl::StrCat(ticket.store_sequence)});
  Eval(key, std::move(args), [this](absl::StatusOr<RedisReply> reply) {
    OnScriptReply(FieldsOf(std::move(reply), {"limit", "daily_ms"}).status());
  });
}

}  // namespace hubspot_gateway
