#include "server/dispatch/token_dispatcher.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "server/common/digest.h"
#include "server/hubspot/answer_split.h"
#include "server/hubspot/upstream_error_status.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;

// Why `budget` stops its token for the day at `now`, naming who said so.
absl::Status DailyLimitExhausted(const Budget& budget, absl::Time now) {
  if (budget.HeldByStore(now)) {
    return StoreDailyStopStatus(
        "the shared budget store (--budget_store) holds this token's daily request limit as "
        "exhausted; the gateway sends nothing for it until the store clears it (at most "
        "--max_retry_after), then tries again");
  }
  return DailyLimitStatus(
      "HubSpot's daily request limit for this token is exhausted; the gateway sends nothing "
      "for it until HubSpot reports requests left (or a pause of up to --max_retry_after "
      "ends), then tries again");
}

int InputsOf(const QueuedChunk& chunk) { return static_cast<int>(chunk.chunk->size()); }

// Whether `chunk` shares a request with no other call's chunks: it was sent
// apart after a shared rejection, or it is a read (a call without a body:
// each caller's read is a request of its own).
bool GoesAlone(const QueuedChunk& chunk) {
  return chunk.alone || chunk.call->encode_body == nullptr;
}

// The interactive lane's window keeps this share for callers that are not
// heavy (however many heavy callers there are).
constexpr int kReserveDivisor = 10;

// Chunks finished on this thread while it was already telling an owner of
// one: the outermost Finish tells them in turn. A chain such as OnChunkDone ->
// Submit -> (daily limit) Finish -> OnChunkDone then runs as a loop, so its
// stack stays flat however many chunks a call has.
struct FinishedChunks {
  bool telling = false;
  std::deque<std::pair<QueuedChunk, absl::StatusOr<v1::BatchResult>>> pending;
};
thread_local FinishedChunks finished_chunks;

}  // namespace

TokenDispatcher::TokenDispatcher(const std::string& token, const DispatchOptions& options,
                                 DispatchDeps deps)
    : authorization_(absl::StrCat("Bearer ", token)),
      fingerprint_(Fingerprint(token)),
      options_(options),
      deps_(deps),
      // The budget is destroyed before this object's weak_from_this(), and
      // never wakes it after: the wake-up reaches a live dispatcher or none.
      budget_(deps.budgets(token,
                           [this] {
                             deps_.scheduler.RunAfter(
                                 absl::ZeroDuration(), [weak = weak_from_this()] {
                                   if (std::shared_ptr<TokenDispatcher> self = weak.lock()) {
                                     self->Pump();
                                   }
                                 });
                           })),
      window_(options.budget.interval),
      concurrency_(options.concurrency),
      concurrency_limit_(concurrency_.limit()) {}

void TokenDispatcher::Finish(QueuedChunk chunk, absl::StatusOr<v1::BatchResult> outcome) {
  FinishedChunks& finished = finished_chunks;
  finished.pending.emplace_back(std::move(chunk), std::move(outcome));
  if (finished.telling) return;
  finished.telling = true;
  while (!finished.pending.empty()) {
    auto [next, next_outcome] = std::move(finished.pending.front());
    finished.pending.pop_front();
    next.owner->OnChunkDone(next.index, std::move(next_outcome));
  }
  finished.telling = false;
}

void TokenDispatcher::Submit(QueuedChunk chunk, bool retry) {
  if (absl::Status stopped = chunk.owner->Stopped(); !stopped.ok()) {
    Finish(std::move(chunk), stopped);
    return;
  }
  const absl::Time now = deps_.scheduler.Now();
  absl::Status daily_exhausted;
  bool waits = false;
  std::shared_ptr<ChunkOwner> owner = chunk.owner;
  {
    absl::MutexLock lock(&mu_);
    if (budget_->DailyExhausted(now)) {
      daily_exhausted = DailyLimitExhausted(*budget_, now);
    } else {
      chunk.enqueued = now;
      const Lane lane_of_chunk = chunk.lane;
      FlowQueue<QueuedChunk>& lane = lanes_[static_cast<int>(lane_of_chunk)];
      waits = !lane.empty() || budget_->NextSendTime(lane_of_chunk, now) > now;
      // A chunk costs the share of a request it fills (a read, which carries
      // no inputs, as much as one input).
      const double cost = static_cast<double>(std::max(1, InputsOf(chunk))) /
                          std::max(1, options_.max_inputs_per_request);
      const FlowKey flow = chunk.flow;
      const ChunkOwner* call = chunk.owner.get();
      lane.Push(flow, call, std::move(chunk), cost, /*front=*/retry);
    }
  }
  if (!daily_exhausted.ok()) {
    Finish(std::move(chunk), std::move(daily_exhausted));
    return;
  }
  if (waits) owner->OnWaiting();
  Pump();
}

void TokenDispatcher::Cancel(const ChunkOwner* owner, const absl::Status& why) {
  std::vector<QueuedChunk> cancelled;
  {
    absl::MutexLock lock(&mu_);
    for (FlowQueue<QueuedChunk>& lane : lanes_) {
      for (QueuedChunk& chunk :
           lane.RemoveIf([owner](const QueuedChunk& c) { return c.owner.get() == owner; })) {
        cancelled.push_back(std::move(chunk));
      }
    }
  }
  for (QueuedChunk& chunk : cancelled) Finish(std::move(chunk), why);
}

bool TokenDispatcher::Forgettable(absl::Time now) {
  absl::MutexLock lock(&mu_);
  return lanes_[0].empty() && lanes_[1].empty() && in_flight_ == 0 && backing_off_ == 0 &&
         budget_->IsIdle(now);
}

void TokenDispatcher::FailQueued(const absl::Status& status, std::vector<Failure>& failures) {
  for (FlowQueue<QueuedChunk>& lane : lanes_) {
    for (QueuedChunk& chunk : lane.RemoveIf([](const QueuedChunk&) { return true; })) {
      failures.push_back({std::move(chunk), status});
    }
  }
}

void TokenDispatcher::FailPastDeadline(absl::Time allowed, absl::Time now,
                                       std::vector<Failure>& failures) {
  const absl::Status rate_limited =
      now - last_rate_limited_at_ < budget_->interval() ? last_rate_limited_ : absl::OkStatus();
  // Who holds the token, as the call is told.
  const absl::string_view held_by =
      budget_->HeldByStore(now)
          ? "the rate budget the replicas share in the budget store (--budget_store)"
          : "HubSpot's rate limit";
  for (FlowQueue<QueuedChunk>& lane : lanes_) {
    for (QueuedChunk& chunk :
         lane.RemoveIf([allowed](const QueuedChunk& c) { return c.deadline <= allowed; })) {
      absl::Status status = WithAttempts(
          RateLimitWaitStatus(held_by, allowed - now, chunk.deadline - now, rate_limited),
          chunk.attempt - 1);
      failures.push_back({std::move(chunk), std::move(status)});
    }
  }
}

void TokenDispatcher::ScheduleWakeup(absl::Time at, absl::Time now) {
  if (at >= wakeup_at_) return;
  wakeup_at_ = at;
  deps_.scheduler.RunAfter(at - now, [weak = weak_from_this(), at] {
    std::shared_ptr<TokenDispatcher> self = weak.lock();
    if (self == nullptr) return;
    {
      absl::MutexLock lock(&self->mu_);
      if (self->wakeup_at_ == at) self->wakeup_at_ = absl::InfiniteFuture();
    }
    self->Pump();
  });
}

int TokenDispatcher::LaneLimit(int lane) const {
  const int limit = budget_->effective_limit();
  if (lane == static_cast<int>(Lane::kInteractive)) return limit;
  return std::max(1, static_cast<int>(limit * options_.budget.bulk_share));
}

bool TokenDispatcher::Held(const FlowKey& flow, int lane, absl::Time now) {
  if (budget_->effective_limit() <= 0) return false;
  const int lane_limit = LaneLimit(lane);
  if (flow.max_share < 1 &&
      window_.Count(flow.name, now) >= std::max(1, static_cast<int>(flow.max_share * lane_limit))) {
    return true;
  }
  // Bulk work keeps to its share of the requests sent, not only of those the
  // budget counts (answered ones): taking the room of interactive requests
  // still in flight would take the reserve.
  if (lane == static_cast<int>(Lane::kBulk) && window_.Total(now) >= lane_limit) return true;
  const int reserve =
      lane == static_cast<int>(Lane::kInteractive) ? lane_limit / kReserveDivisor : 0;
  // A flow is heavy when its interactive requests are more than the
  // interactive lane's own share (what bulk work may not use): a caller of one
  // call at a time beside a saturating stream (its own or another's) is not,
  // twenty 1,000-pair calls are.
  const int interactive_share = lane_limit - LaneLimit(static_cast<int>(Lane::kBulk));
  return reserve > 0 && window_.Total(now) >= lane_limit - reserve &&
         window_.InteractiveCount(flow.name, now) > interactive_share;
}

std::optional<TokenDispatcher::Send> TokenDispatcher::NextSend(absl::Time now,
                                                               std::vector<Failure>& failures) {
  // Work whose caller left never goes out.
  for (FlowQueue<QueuedChunk>& lane : lanes_) {
    while (const QueuedChunk* front = lane.Front()) {
      absl::Status stopped = front->owner->Stopped();
      if (stopped.ok()) break;
      failures.push_back({lane.DropFront(), std::move(stopped)});
    }
  }
  if (lanes_[0].empty() && lanes_[1].empty()) return std::nullopt;
  // A shared budget may learn of the daily limit from another replica.
  if (budget_->DailyExhausted(now)) {
    FailQueued(DailyLimitExhausted(*budget_, now), failures);
    return std::nullopt;
  }
  // An answer makes room (and pumps again).
  if (concurrency_.limit() > 0 && in_flight_ >= concurrency_.limit()) return std::nullopt;
  window_.set_interval(budget_->interval());
  const int max_inputs = options_.max_inputs_per_request;
  for (int head_lane = 0; head_lane < 2; ++head_lane) {
    if (lanes_[head_lane].empty()) continue;
    const absl::Time allowed = budget_->NextSendTime(static_cast<Lane>(head_lane), now);
    if (allowed > now) {
      // Work whose deadline comes before the earliest send fails now, saying
      // how long HubSpot's limit holds the token, instead of waiting into a
      // bare DEADLINE_EXCEEDED. (InfiniteFuture: a shared budget is still
      // asking; nothing is known yet.)
      if (allowed != absl::InfiniteFuture()) FailPastDeadline(allowed, now, failures);
      if (!lanes_[0].empty() || !lanes_[1].empty()) ScheduleWakeup(allowed, now);
      return std::nullopt;
    }
    // The chunks the request would carry: the first one served whose flow is
    // not held, then those of the same call and URL in the order they would
    // be served, interactive first, then bulk, up to max_inputs_per_request.
    // Walked twice, the same way: to look, then to take.
    struct Head {
      const BatchCall* call;
      std::string url;
      absl::Time enqueued;
      // The call of the first chunk; whether another call's chunk or a chunk
      // that goes alone (of that call only) was taken too.
      const ChunkOwner* owner;
      bool several_calls;
      bool alone;
    };
    std::optional<Head> head;
    int inputs = 0;
    absl::flat_hash_map<std::string, bool> held;
    auto pick = [&](const QueuedChunk& chunk, const std::string& flow) {
      if (inputs >= max_inputs) return Pick::kStop;
      // Bulk work may fill a request the interactive lane sends, never start
      // one: it would spend the interactive lane's room (and its reserve).
      if (!head.has_value() && static_cast<int>(chunk.lane) != head_lane) return Pick::kSkip;
      auto [it, inserted] = held.try_emplace(flow, false);
      if (inserted) it->second = Held(chunk.flow, head_lane, now);
      if (it->second) return Pick::kSkip;
      if (!head.has_value()) {
        head = Head{chunk.call,
                    chunk.url,
                    chunk.enqueued,
                    chunk.owner.get(),
                    /*several_calls=*/false,
                    GoesAlone(chunk)};
      } else {
        const bool other_call = chunk.owner.get() != head->owner;
        if (chunk.call != head->call || chunk.url != head->url ||
            inputs + InputsOf(chunk) > max_inputs || (other_call && head->alone) ||
            (GoesAlone(chunk) && (other_call || head->several_calls))) {
          return Pick::kSkip;
        }
        head->several_calls = head->several_calls || other_call;
        head->alone = head->alone || GoesAlone(chunk);
      }
      inputs += InputsOf(chunk);
      return Pick::kTake;
    };
    for (int lane = head_lane; lane < 2 && inputs < max_inputs; ++lane) {
      lanes_[lane].Take([&](const QueuedChunk& chunk, const std::string& flow) {
        return pick(chunk, flow) == Pick::kStop ? Pick::kStop : Pick::kSkip;
      });
    }
    if (!head.has_value()) continue;  // Every flow waiting here is held.
    const bool partial = inputs < max_inputs;
    if (partial) {
      // A partial request spends a whole slot: unless the lane has sent no
      // partial request for interval/limit, let more work join it until then.
      absl::Time ready = head->enqueued + options_.coalesce_window;
      if (budget_->effective_limit() > 0) {
        ready = std::max(ready, last_partial_by_lane_[head_lane] +
                                    budget_->interval() / budget_->effective_limit());
      }
      if (ready > now) {
        ScheduleWakeup(ready, now);
        return std::nullopt;
      }
      last_partial_by_lane_[head_lane] = now;
    }
    const std::string url = head->url;
    const BatchCall& call = *head->call;
    head.reset();
    inputs = 0;
    std::vector<QueuedChunk> picked;
    for (int lane = head_lane; lane < 2 && inputs < max_inputs; ++lane) {
      for (QueuedChunk& chunk : lanes_[lane].Take(pick)) picked.push_back(std::move(chunk));
    }
    return Build(std::move(picked), url, call, inputs, now);
  }
  // Only held flows wait: until a request leaves the window.
  ScheduleWakeup(window_.NextLeave(), now);
  return std::nullopt;
}

TokenDispatcher::Send TokenDispatcher::Build(std::vector<QueuedChunk> picked,
                                             const std::string& url, const BatchCall& call,
                                             int inputs, absl::Time now) {
  ++in_flight_;
  Send send;
  send.request.url = url;
  absl::Time latest_deadline = absl::InfinitePast();
  std::vector<ArchiveSlice> slices;
  slices.reserve(inputs);
  absl::flat_hash_set<const ChunkOwner*> owners;
  // Each flow of the request, and whether it carried the flow's interactive work.
  absl::flat_hash_map<std::string, bool> flows;
  for (QueuedChunk& chunk : picked) {
    deps_.observer.OnQueueWait(LaneName(chunk.lane), chunk.flow.name, now - chunk.enqueued);
    slices.insert(slices.end(), chunk.chunk->begin(), chunk.chunk->end());
    latest_deadline = std::max(latest_deadline, chunk.deadline);
    owners.insert(chunk.owner.get());
    flows[chunk.flow.name] |= chunk.lane == Lane::kInteractive;
    send.chunks.push_back(std::move(chunk));
  }
  for (const auto& [flow, interactive] : flows) window_.Record(flow, interactive, now);
  send.ticket = budget_->Spend(now);
  deps_.observer.OnUpstreamRequest(static_cast<int>(owners.size()), inputs);
  send.request.method = std::string(call.method);
  send.request.headers = {{"Authorization", authorization_}, {"Accept", "application/json"}};
  if (call.encode_body != nullptr) {
    send.request.headers.emplace_back("Content-Type", "application/json");
    send.request.body = call.encode_body(slices);
  }
  send.request.timeout = std::min(options_.upstream_timeout, latest_deadline - now);
  return send;
}

void TokenDispatcher::Pump() {
  std::vector<Send> sends;
  std::vector<Failure> failures;
  {
    absl::MutexLock lock(&mu_);
    if (pumping_) {
      pump_again_ = true;
      return;
    }
    pumping_ = true;
  }
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      pump_again_ = false;
      const absl::Time now = deps_.scheduler.Now();
      while (std::optional<Send> send = NextSend(now, failures)) {
        sends.push_back(*std::move(send));
      }
      if (sends.empty() && failures.empty()) {
        pumping_ = false;
        return;
      }
    }
    for (Failure& failure : failures) Finish(std::move(failure.chunk), failure.status);
    failures.clear();
    for (Send& send : sends) {
      deps_.transport.Send(std::move(send.request),
                           [self = shared_from_this(), chunks = std::move(send.chunks),
                            ticket = send.ticket](absl::StatusOr<HttpResponse> exchange) mutable {
                             self->OnAnswered(std::move(chunks), ticket, exchange);
                           });
    }
    sends.clear();
  }
}

void TokenDispatcher::OnAnswered(std::vector<QueuedChunk> chunks, const BudgetTicket& ticket,
                                 const absl::StatusOr<HttpResponse>& exchange) {
  const absl::Time received = deps_.scheduler.Now();
  // The chunks of one request share its call.
  UpstreamAnswer answer =
      ReadUpstreamAnswer(exchange, ticket.sent, received, chunks.front().call->decode_body);
  std::vector<Failure> failures;
  int limit_before = 0;
  int limit_after = 0;
  absl::Duration interval;
  {
    absl::MutexLock lock(&mu_);
    // Rate limits are the budget's to learn; the rest tells of latency.
    if (answer.outcome == AnswerOutcome::kTransient) {
      concurrency_.OnFailure();
    } else if (answer.outcome != AnswerOutcome::kRollingLimit &&
               answer.outcome != AnswerOutcome::kDailyLimit) {
      concurrency_.OnAnswer(received - ticket.sent, in_flight_);
    }
    concurrency_limit_.store(concurrency_.limit(), std::memory_order_relaxed);
    --in_flight_;
    limit_before = budget_->effective_limit();
    budget_->Observe(answer, received, ticket);
    limit_after = budget_->effective_limit();
    interval = budget_->interval();
    if (budget_->DailyExhausted(received)) {
      FailQueued(DailyLimitExhausted(*budget_, received), failures);
    }
    if (answer.outcome == AnswerOutcome::kRollingLimit) {
      last_rate_limited_ = answer.result.status();
      last_rate_limited_at_ = received;
    }
  }
  if (limit_after != limit_before) {
    deps_.observer.OnLearnedLimit(fingerprint_, limit_after, interval);
  }
  deps_.observer.OnUpstreamAnswer(chunks.front().call->path, answer.http_status, answer.outcome,
                                  received - ticket.sent);
  if (answer.retry_after.has_value() && *answer.retry_after > options_.budget.max_pause) {
    deps_.observer.OnPauseCapped();
  }
  // Each call hears of the request once, however many of its chunks it carried.
  absl::flat_hash_set<const ChunkOwner*> told;
  if (answer.result.ok()) {
    std::vector<AnswerPart> parts;
    parts.reserve(chunks.size());
    for (const QueuedChunk& chunk : chunks) parts.push_back({chunk.chunk, chunk.owner.get()});
    std::vector<v1::BatchResult> results = SplitBatchResult(*std::move(answer.result), parts);
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (told.insert(chunks[i].owner.get()).second) chunks[i].owner->OnAttempt(answer, false);
      Finish(std::move(chunks[i]), std::move(results[i]));
    }
  } else if (SendApart(chunks, answer)) {
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (told.insert(chunks[i].owner.get()).second) chunks[i].owner->OnAttempt(answer, true);
    }
    for (QueuedChunk& chunk : chunks) {
      chunk.alone = true;
      deps_.observer.OnRetry();
      ++chunk.attempt;
      Submit(std::move(chunk), /*retry=*/true);
    }
  } else {
    std::vector<std::optional<absl::Duration>> retry_after(chunks.size());
    for (size_t i = 0; i < chunks.size(); ++i)
      retry_after[i] = RetryDelay(chunks[i], answer, received);
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (told.insert(chunks[i].owner.get()).second) {
        chunks[i].owner->OnAttempt(answer, retry_after[i].has_value());
      }
    }
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (retry_after[i].has_value()) {
        Retry(std::move(chunks[i]), *retry_after[i]);
      } else {
        const int attempts = chunks[i].attempt;
        Finish(std::move(chunks[i]), WithAttempts(answer.result.status(), attempts));
      }
    }
  }
  for (Failure& failure : failures) Finish(std::move(failure.chunk), failure.status);
  Pump();
}

bool TokenDispatcher::SendApart(const std::vector<QueuedChunk>& chunks,
                                const UpstreamAnswer& answer) {
  const int status = answer.http_status;
  if (answer.outcome != AnswerOutcome::kPermanent || status < 400 || status > 499 ||
      status == 401 || status == 403 || status == 408 || status == 429) {
    return false;
  }
  // Chunks already sent apart have had HubSpot's verdict on their call alone.
  return absl::c_any_of(chunks, [&chunks](const QueuedChunk& chunk) {
    return !chunk.alone && chunk.owner != chunks.front().owner;
  });
}

std::optional<absl::Duration> TokenDispatcher::RetryDelay(const QueuedChunk& chunk,
                                                          const UpstreamAnswer& answer,
                                                          absl::Time now) {
  if (chunk.attempt >= options_.retry.max_attempts || !RetryPolicy::IsRetryable(answer.outcome) ||
      !chunk.owner->Stopped().ok()) {
    return std::nullopt;
  }
  // A rolling-limit 429 goes back to the queue at once: the budget holds it
  // for the Retry-After it paused on, or for its own wait when there was none.
  absl::Duration delay = absl::ZeroDuration();
  if (answer.outcome != AnswerOutcome::kRollingLimit) {
    absl::MutexLock lock(&deps_.random_mu);
    delay = options_.backoff.DelayBefore(
        chunk.attempt, answer.retry_after.value_or(absl::ZeroDuration()), deps_.random);
  }
  if (now + delay >= chunk.deadline) return std::nullopt;
  return delay;
}

void TokenDispatcher::Retry(QueuedChunk chunk, absl::Duration delay) {
  deps_.observer.OnRetry();
  ++chunk.attempt;
  if (delay <= absl::ZeroDuration()) {
    Submit(std::move(chunk), /*retry=*/true);
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    ++backing_off_;
  }
  deps_.scheduler.RunAfter(delay, [self = shared_from_this(), chunk = std::move(chunk)]() mutable {
    {
      absl::MutexLock lock(&self->mu_);
      --self->backing_off_;
    }
    self->Submit(std::move(chunk), /*retry=*/true);
  });
}

}  // namespace hubspot_gateway
