#include "server/budget/redis_budget.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "server/budget/token_budget.h"

namespace hubspot_gateway {
namespace {

// The shared budget of one token; see the header comment of redis_budget.h.
constexpr char kScript[] = R"lua(
-- KEYS[1]: the token's hash. ARGV: op ('reserve' or 'observe'), configured
-- limit, interval ms, bulk share, max pause ms, then for 'reserve' the lane
-- (0 interactive, 1 bulk); for 'observe' the HTTP status, the policy
-- ('ROLLING', 'DAILY' or ''), Retry-After ms, the Max, Remaining and
-- Daily-Remaining headers (-1: absent), and the bucket it was counted in (-1: none).
local key = KEYS[1]
local op = ARGV[1]
local configured = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local bulk_share = tonumber(ARGV[4])
local max_pause = tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local width = math.max(1, math.floor(interval / 100))
local guard = math.floor(interval / 50) + 10
local bucket = math.floor(now / width)
local oldest = math.floor((now - interval - guard) / width)
local fields = redis.call('HGETALL', key)
local s = {}
local buckets = {}
local used = 0
for i = 1, #fields, 2 do
  local name = fields[i]
  if string.sub(name, 1, 1) == 'b' then
    local b = tonumber(string.sub(name, 2))
    if b < oldest then
      redis.call('HDEL', key, name)
    else
      local n = tonumber(fields[i + 1])
      used = used + n
      buckets[#buckets + 1] = {b, n}
    end
  else
    s[name] = tonumber(fields[i + 1])
  end
end
local ceiling = s.ceiling or configured
local limit = s.limit or ceiling
local lowered = s.lowered or 0
local last_raise = s.last_raise or now
local paused = s.paused or 0
local daily = s.daily or 0
if lowered == 1 then
  local raises = math.floor((now - last_raise) / interval)
  if raises > 0 then
    limit = math.min(ceiling, limit + raises)
    last_raise = last_raise + raises * interval
    if limit >= ceiling then lowered = 0 end
  end
end
local function move(from, to, n)
  local field = 'b' .. from
  if from < oldest or (tonumber(redis.call('HGET', key, field)) or 0) < n then return false end
  redis.call('HINCRBY', key, field, -n)
  if to ~= nil then redis.call('HINCRBY', key, 'b' .. to, n) end
  return true
end
local result
if op == 'reserve' then
  local lane_limit = limit
  if tonumber(ARGV[6]) == 1 then lane_limit = math.max(1, math.floor(limit * bulk_share)) end
  local wait = 0
  if daily > now then
    wait = daily - now
  elseif paused > now then
    wait = paused - now
  elseif limit > 0 and used >= lane_limit then
    table.sort(buckets, function(a, b) return a[1] < b[1] end)
    local left = used
    wait = interval + guard
    for _, entry in ipairs(buckets) do
      left = left - entry[2]
      if left < lane_limit then
        wait = math.max(1, (entry[1] + 1) * width + interval + guard - now)
        break
      end
    end
  end
  if wait == 0 then
    redis.call('HINCRBY', key, 'b' .. bucket, 1)
    result = {1, 0, limit, bucket, 0}
  else
    result = {0, wait, limit, -1, math.max(0, daily - now)}
  end
else
  local status = tonumber(ARGV[6])
  local policy = ARGV[7]
  local retry_after = tonumber(ARGV[8])
  local max = tonumber(ARGV[9])
  local remaining = tonumber(ARGV[10])
  local daily_remaining = tonumber(ARGV[11])
  local sent = tonumber(ARGV[12])
  if max >= 0 then
    ceiling = max
    if lowered == 0 or limit > ceiling then limit = ceiling end
  end
  if daily_remaining == 0 then
    daily = now + max_pause
  elseif daily_remaining > 0 then
    daily = 0
  end
  local pause = max_pause
  if retry_after >= 0 then pause = math.min(retry_after, max_pause) end
  if policy == 'DAILY' then
    daily = now + pause
  elseif policy == 'ROLLING' then
    -- HubSpot held at most what the window held besides the rejected request.
    local held = math.max(1, math.floor(ceiling / 10), used - 1)
    if limit == 0 or held < limit then limit = held end
    lowered = 1
    last_raise = now
    if sent >= 0 then move(sent, nil, 1) end
    if retry_after >= 0 then paused = math.max(paused, now + pause) end
  else
    -- HubSpot counted it when it arrived: count it from its answer on.
    if sent >= 0 and status ~= 0 then move(sent, bucket, 1) end
    if remaining >= 0 and ceiling > 0 then
      local missing = ceiling - remaining - used
      if missing > 0 then redis.call('HINCRBY', key, 'b' .. bucket, missing) end
    end
  end
  result = {limit, math.max(0, daily - now)}
end
redis.call('HSET', key, 'ceiling', ceiling, 'limit', limit, 'lowered', lowered, 'last_raise',
           last_raise, 'paused', paused, 'daily', daily)
redis.call('PEXPIRE', key, 2 * interval + guard + max_pause)
return result
)lua";

std::string Hex(const unsigned char* digest, size_t size) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size));
}

std::string Sha1Hex(absl::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return Hex(digest, sizeof(digest));
}

// The script answers arrays of integers.
absl::StatusOr<std::vector<int64_t>> IntegersOf(absl::StatusOr<RedisReply> reply) {
  if (!reply.ok()) return reply.status();
  std::vector<int64_t> integers;
  for (const RedisReply& element : reply->elements) integers.push_back(element.integer);
  return integers;
}

std::string Milliseconds(absl::Duration duration) {
  return absl::StrCat(absl::ToInt64Milliseconds(duration));
}

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
    State& state = *state_;
    {
      absl::MutexLock lock(&state.mu);
      if (state.daily_until > now) return state.daily_until;
      if (now >= state.local_until && store_.shared()) {
        if (state.grant.has_value()) {
          // A slot is counted from its reservation: one kept too long is let go.
          if (now - state.grant->at < store_.policy().interval / 20) return now;
          state.grant.reset();
        }
        if (state.pending) return absl::InfiniteFuture();
        const absl::Time retry_at = state.retry_at[static_cast<int>(lane)];
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
      ticket.store_bucket = state_->grant->bucket;
      state_->grant.reset();
    }
    return ticket;
  }

  void Observe(const UpstreamAnswer& answer, absl::Time now, const Ticket& ticket) override {
    fallback_.Observe(answer, now, ticket);
    store_.Observe(key_, answer, ticket.store_bucket);
  }

  bool DailyExhausted(absl::Time now) const override {
    absl::MutexLock lock(&state_->mu);
    return now < state_->daily_until || fallback_.DailyExhausted(now);
  }

  int effective_limit() const override {
    if (!store_.shared()) return fallback_.effective_limit();
    absl::MutexLock lock(&state_->mu);
    return state_->limit;
  }

  absl::Duration interval() const override { return store_.policy().interval; }

  bool IsIdle(absl::Time now) const override { return fallback_.IsIdle(now); }

 private:
  struct Grant {
    int64_t bucket;
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
         lane](absl::StatusOr<std::vector<int64_t>> reply) {
          std::shared_ptr<State> state = weak.lock();
          if (state == nullptr) return;
          const absl::Time now = scheduler.Now();
          absl::MutexLock lock(&state->mu);
          state->pending = false;
          if (!reply.ok() || reply->size() != 5) {
            state->local_until = now + retry_local;
          } else {
            const std::vector<int64_t>& r = *reply;
            if (r[0] == 1) {
              state->grant = Grant{r[3], now};
            } else {
              // No room for interactive work is none for bulk work either.
              const absl::Time retry_at = now + absl::Milliseconds(r[1]);
              for (int l = static_cast<int>(lane); l < 2; ++l) {
                state->retry_at[l] = std::max(state->retry_at[l], retry_at);
              }
            }
            state->limit = static_cast<int>(r[2]);
            state->daily_until = r[4] > 0 ? now + absl::Milliseconds(r[4]) : absl::InfinitePast();
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
                                   std::function<void(absl::string_view)> log)
    : options_(std::move(options)),
      policy_(policy),
      scheduler_(scheduler),
      observer_(observer),
      log_(std::move(log)),
      script_sha_(Sha1Hex(kScript)),
      connection_(std::make_unique<RedisConnection>(options_.redis, *this)) {}

RedisBudgetStore::~RedisBudgetStore() { connection_.reset(); }

BudgetFactory RedisBudgetStore::Budgets() {
  return [this](const std::string& token, absl::AnyInvocable<void()> wake) {
    return std::make_unique<RedisBudget>(*this, KeyOf(token), std::move(wake));
  };
}

std::string RedisBudgetStore::KeyOf(absl::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return absl::StrCat("hubspot-gateway:budget:", Hex(digest, sizeof(digest)));
}

void RedisBudgetStore::OnUp() {
  observer_.OnBudgetStoreFallback(false);
  log_(absl::StrCat("budget store: Redis at ", options_.redis.host, ":", options_.redis.port,
                    " answers; replicas share each token's budget"));
}

void RedisBudgetStore::OnDown(const absl::Status& why) {
  observer_.OnBudgetStoreFallback(true);
  log_(absl::StrCat("budget store: ", why.message(),
                    "; each token falls back to a local budget of ", "its limit / ",
                    options_.replicas, " until Redis answers again"));
}

void RedisBudgetStore::OnError() { observer_.OnBudgetStoreError(); }

bool RedisBudgetStore::Eval(
    const std::string& key, std::vector<std::string> args,
    absl::AnyInvocable<void(absl::StatusOr<std::vector<int64_t>>) &&> done) {
  std::vector<std::string> command = {"EVALSHA", script_sha_, "1", key};
  command.insert(command.end(), args.begin(), args.end());
  return connection_->Command(std::move(command), [this, key, args = std::move(args),
                                                   done = std::move(done)](
                                                      absl::StatusOr<RedisReply> reply) mutable {
    if (!reply.ok() && absl::StartsWith(reply.status().message(), "NOSCRIPT")) {
      // Redis restarted (or flushed its scripts): send the script itself once.
      std::vector<std::string> eval = {"EVAL", kScript, "1", key};
      eval.insert(eval.end(), args.begin(), args.end());
      auto shared_done = std::make_shared<decltype(done)>(std::move(done));
      if (!connection_->Command(std::move(eval), [shared_done](absl::StatusOr<RedisReply> reply) {
            std::move (*shared_done)(IntegersOf(std::move(reply)));
          })) {
        std::move (*shared_done)(absl::UnavailableError("Redis went away"));
      }
      return;
    }
    std::move(done)(IntegersOf(std::move(reply)));
  });
}

std::vector<std::string> RedisBudgetStore::ScriptArgs(absl::string_view op) const {
  return {std::string(op), absl::StrCat(policy_.max_requests), Milliseconds(policy_.interval),
          absl::StrCat(policy_.bulk_share), Milliseconds(policy_.max_pause)};
}

bool RedisBudgetStore::Reserve(
    const std::string& key, Lane lane,
    absl::AnyInvocable<void(absl::StatusOr<std::vector<int64_t>>) &&> done) {
  std::vector<std::string> args = ScriptArgs("reserve");
  args.push_back(lane == Lane::kBulk ? "1" : "0");
  const absl::Time start = absl::Now();
  return Eval(
      key, std::move(args),
      [this, start, done = std::move(done)](absl::StatusOr<std::vector<int64_t>> reply) mutable {
        observer_.OnBudgetStoreReservation(absl::Now() - start);
        if (!reply.ok()) observer_.OnBudgetStoreError();
        std::move(done)(std::move(reply));
      });
}

void RedisBudgetStore::Observe(const std::string& key, const UpstreamAnswer& answer,
                               int64_t bucket) {
  const RateLimitHeaders& headers = answer.rate_limit;
  std::vector<std::string> args = ScriptArgs("observe");
  args.push_back(absl::StrCat(answer.http_status));
  args.push_back(answer.IsDailyLimit() ? "DAILY" : answer.IsRollingLimit() ? "ROLLING" : "");
  args.push_back(answer.retry_after.has_value() ? Milliseconds(*answer.retry_after) : "-1");
  args.push_back(absl::StrCat(headers.max.value_or(-1)));
  args.push_back(absl::StrCat(headers.remaining.value_or(-1)));
  args.push_back(absl::StrCat(headers.daily_remaining.value_or(-1)));
  args.push_back(absl::StrCat(bucket));
  Eval(key, std::move(args), [this](absl::StatusOr<std::vector<int64_t>> reply) {
    if (!reply.ok()) observer_.OnBudgetStoreError();
  });
}

}  // namespace hubspot_gateway
