// TokenDispatcher spends one HubSpot token's rate budget. Work waits in two
// lanes (interactive first); within a lane, in flows (one per caller) served
// by start-time fair queuing, and within a flow round-robin among its calls
// (server/flow/flow_queue.h), so a caller with a deep queue cannot hold back
// one with a single chunk. Each time the budget has room it sends the chunk
// served next, filled up with compatible waiting chunks of any flow (same
// batch call and URL, so same operation, version and object types; archive
// and labels chunks never share a request; a read, which has no body, shares
// none) to `max_inputs_per_request`.
// A heavy flow, one that took part in more of the rolling window's interactive
// requests than the interactive lane's own share (20%: what bulk work may not
// use; its bulk requests do not count, so one caller's interactive calls beside
// its own bulk stream keep that share),
// may not take the last tenth of the interactive lane's window: it stays for
// the light callers that arrive, however many heavy ones there are. A flow's
// policy may cap its share of a lane's window.
// At most an adaptive number of requests (ConcurrencyLimit) are in flight.
// A full request goes as soon as the budget allows; a partial one goes once
// its lane has sent no partial request for interval/limit, so a burst of small calls
// packs into few requests while a lone caller does not wait. Each answer is read
// once, re-plans the budget (headers, 429s), and is split back to the chunks
// it carried, each call seeing only what names its own inputs
// (server/hubspot/answer_split.h); failures are retried or reported per chunk.
// A request of several calls that HubSpot rejects as a whole for what it
// carried (a 4xx other than 401, 403, 408 and 429: one call's input may be
// the cause) is not failed for all: each call's chunks go again once, in
// requests of that call alone, so each caller hears HubSpot's verdict on its
// own inputs (and never another caller's ids in the message).
//
// Thread-safety. Every method may be called from any thread.
// - Lock order: mu_, then its Budget (called only under mu_; a RedisBudget
//   then takes its state lock, then the Redis connection's queue lock), then
//   the Scheduler's lock (wake-ups are posted under mu_). Under mu_ it also
//   calls ChunkOwner::Stopped and ArchiveObserver::OnQueueWait /
//   OnUpstreamRequest, which must take no lock ordered before mu_. The
//   shared random_mu is taken alone, never with mu_.
// - HttpTransport::Send and every other ChunkOwner and ArchiveObserver
//   method run without mu_ held, on the thread that caused them: Submit's or
//   Cancel's caller (a stopped call, the daily limit, a cancellation), the
//   transport's callback thread (answers, retries without delay), or the
//   Scheduler's thread (wake-ups, backoff timers, a budget's `wake`).
// - Never recursively: a chunk finished while its thread is already telling
//   an owner of another chunk is told after that callback returns, so a
//   chain such as OnChunkDone -> Submit -> (daily limit) OnChunkDone is a
//   loop, however many chunks it spans.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_TOKEN_DISPATCHER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_TOKEN_DISPATCHER_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/budget/budget.h"
#include "server/clock/scheduler.h"
#include "server/dispatch/archive_observer.h"
#include "server/dispatch/concurrency_limit.h"
#include "server/dispatch/retry_policy.h"
#include "server/flow/flow_queue.h"
#include "server/flow/flow_window.h"
#include "server/http/http_transport.h"
#include "server/hubspot/archive_response.h"
#include "server/hubspot/batch_call.h"
#include "server/hubspot/chunking.h"

namespace hubspot_gateway {

// The call a chunk belongs to, told what became of it. Implementations are
// thread-safe and must not block.
class ChunkOwner {
 public:
  virtual ~ChunkOwner() = default;
  // An upstream request carrying one of this owner's chunks was answered.
  virtual void OnAttempt(const UpstreamAnswer& answer, bool will_retry) = 0;
  // Chunk `index` finished for good: HubSpot's answer to it, or the failure
  // (which records how many attempts were made).
  virtual void OnChunkDone(size_t index,
                           absl::StatusOr<hubspot::crm::associations::v1::BatchResult> outcome) = 0;
  // Not OK once the caller left (cancelled, or past its deadline): why.
  virtual absl::Status Stopped() const = 0;
  // One of its chunks has to wait in the queue (the budget has no room for
  // it now): from here on, the owner must watch its deadline.
  virtual void OnWaiting() = 0;
};

// One chunk of one call, as it waits for the budget.
struct QueuedChunk {
  std::shared_ptr<ChunkOwner> owner;
  size_t index = 0;
  // A view into the owner's request: valid until OnChunkDone.
  const Chunk* chunk = nullptr;
  // The batch call (endpoint path and body encoder) and its full URL:
  // requests carry only chunks with the same call and URL.
  const BatchCall* call = &kBatchArchive;
  std::string url;
  Lane lane = Lane::kInteractive;
  // The caller it is served for, among the other callers of its lane.
  FlowKey flow;
  absl::Time deadline = absl::InfiniteFuture();
  // The attempt this send will be (1 for the first).
  int attempt = 1;
  // When it (re-)entered the queue.
  absl::Time enqueued;
  // Sent only with chunks of its own call: a request it shared with other
  // calls was rejected as a whole, and HubSpot's verdict on this call's
  // inputs alone is what its caller must hear.
  bool alone = false;
};

// What a dispatcher needs from the rest of the gateway.
struct DispatchOptions {
  int max_inputs_per_request = 100;
  // How long a partial request may wait for more work to join it (0: no wait).
  absl::Duration coalesce_window = absl::ZeroDuration();
  absl::Duration upstream_timeout = absl::Seconds(30);
  RetryPolicy retry;
  BackoffPolicy backoff;
  BudgetPolicy budget;
  // Requests in flight per token, adapted to latency.
  ConcurrencyLimitOptions concurrency;
};

// Shared by every dispatcher; all must outlive them. `random` is used under
// `random_mu`; `budgets` makes each token's budget (LocalBudgets, or shared).
struct DispatchDeps {
  const BudgetFactory& budgets;
  HttpTransport& transport;
  Scheduler& scheduler;
  ArchiveObserver& observer;
  absl::Mutex& random_mu;
  absl::BitGenRef random ABSL_GUARDED_BY(random_mu);
};

class TokenDispatcher : public std::enable_shared_from_this<TokenDispatcher> {
 public:
  TokenDispatcher(const std::string& token, const DispatchOptions& options, DispatchDeps deps);

  // Queues `chunk` (`retry`: ahead of its lane, as it was first); it is sent
  // when the budget allows, or fails at once while the daily limit is
  // exhausted (RESOURCE_EXHAUSTED) or its owner has stopped.
  void Submit(QueuedChunk chunk, bool retry = false);
  // Fails every queued chunk of `owner` with `why` at once; chunks already
  // sent finish normally.
  void Cancel(const ChunkOwner* owner, const absl::Status& why);

  // No work queued or in flight, and nothing sent for two intervals.
  bool Forgettable(absl::Time now);

  // The token's fingerprint (server/common/digest.h), as the observer hears it.
  const std::string& fingerprint() const { return fingerprint_; }

  // Requests this token may have in flight now (the adaptive limit): a call
  // may hand the dispatcher this many chunks at once.
  int concurrency_limit() const { return concurrency_limit_.load(std::memory_order_relaxed); }

 private:
  struct Send {
    std::vector<QueuedChunk> chunks;
    HttpRequest request;
    // What the budget needs to learn from its answer.
    BudgetTicket ticket;
  };
  // A chunk to fail, outside the lock.
  struct Failure {
    QueuedChunk chunk;
    absl::Status status;
  };

  // Sends what the budget allows now; loops (never recurses) when work
  // arrives or finishes while it runs.
  void Pump();
  // Picks the next request under the lock; nullopt when nothing may go now
  // (a wake-up is scheduled if work waits).
  std::optional<Send> NextSend(absl::Time now, std::vector<Failure>& failures)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The request carrying `picked` (`inputs` in all) to `url`, counted as sent at `now`.
  Send Build(std::vector<QueuedChunk> picked, const std::string& url, const BatchCall& call,
             int inputs, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleWakeup(absl::Time at, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves every queued chunk whose deadline is not after `allowed` (the
  // earliest send) into `failures`: RESOURCE_EXHAUSTED saying how long the
  // rate limit holds the token (RateLimitWaitStatus).
  void FailPastDeadline(absl::Time allowed, absl::Time now, std::vector<Failure>& failures)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether `flow` must let others go first in a request led by `lane`:
  // it holds its share (policy) of the lane's window, or the window reached
  // the interactive lane's reserve and the flow is heavy.
  bool Held(const FlowKey& flow, int lane, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The requests a lane may hold in a window now.
  int LaneLimit(int lane) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves every queued chunk into `failures` with `status`.
  void FailQueued(const absl::Status& status, std::vector<Failure>& failures)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnAnswered(std::vector<QueuedChunk> chunks, const BudgetTicket& ticket,
                  const absl::StatusOr<HttpResponse>& exchange);
  // How long `chunk` waits before its next attempt after `answer` (zero for a
  // rolling-limit 429: the budget paces it); nullopt when it fails for good.
  std::optional<absl::Duration> RetryDelay(const QueuedChunk& chunk, const UpstreamAnswer& answer,
                                           absl::Time now);
  void Retry(QueuedChunk chunk, absl::Duration delay);
  // Whether `chunks`, rejected together by `answer`, go again one call per
  // request instead of failing (see the class comment).
  static bool SendApart(const std::vector<QueuedChunk>& chunks, const UpstreamAnswer& answer);
  static void Finish(QueuedChunk chunk,
                     absl::StatusOr<hubspot::crm::associations::v1::BatchResult> outcome);

  const std::string authorization_;  // A secret: never log it.
  // Names the token to the observer (server/common/digest.h).
  const std::string fingerprint_;
  const DispatchOptions& options_;
  DispatchDeps deps_;

  absl::Mutex mu_;
  const std::unique_ptr<Budget> budget_ ABSL_PT_GUARDED_BY(mu_);
  FlowQueue<QueuedChunk> lanes_[2] ABSL_GUARDED_BY(mu_);
  // The requests each flow took part in over the last interval.
  FlowWindow window_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  ConcurrencyLimit concurrency_ ABSL_GUARDED_BY(mu_);
  // concurrency_.limit(), readable without the lock.
  std::atomic<int> concurrency_limit_;
  // When each lane last sent a partial request (its highest-priority chunk's lane).
  absl::Time last_partial_by_lane_[2] ABSL_GUARDED_BY(mu_) = {absl::InfinitePast(),
                                                              absl::InfinitePast()};
  // Chunks waiting out a retry backoff on the scheduler.
  int backing_off_ ABSL_GUARDED_BY(mu_) = 0;
  bool pumping_ ABSL_GUARDED_BY(mu_) = false;
  bool pump_again_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time wakeup_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  // HubSpot's last rolling-limit 429 for this token and when it came: what a
  // chunk failed for its deadline is told (within one interval of it).
  absl::Status last_rate_limited_ ABSL_GUARDED_BY(mu_);
  absl::Time last_rate_limited_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_TOKEN_DISPATCHER_H_
