// ArchiveObserver hears what the dispatch layer does upstream (answers,
// retries, queueing, coalescing, the learned limit, cancellations), and what
// the shared budget store does (BudgetStoreObserver), so metrics can count it
// without the logic depending on a metrics library.
// The base class ignores everything; implementations must be thread-safe and
// must not block. Nothing passed here holds a token: a token is named only
// by its fingerprint (server/common/digest.h, 8 hex digits of its SHA-256).
// Threads: each method runs on the thread that did the work (a caller's, the
// transport's callback thread, the Scheduler's thread, the Redis connection's
// thread for the store's), and OnQueueWait / OnUpstreamRequest run under a
// TokenDispatcher's lock, OnTokenForgotten under the Dispatcher's:
// implementations take only locks of their own (leaf locks) and never call
// back into the dispatch layer.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_ARCHIVE_OBSERVER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_ARCHIVE_OBSERVER_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/budget/budget_store_observer.h"
#include "server/hubspot/answer_outcome.h"

namespace hubspot_gateway {

class ArchiveObserver : public BudgetStoreObserver {
 public:
  ~ArchiveObserver() override = default;
  // One upstream attempt of batch call `call` (BatchCall::path, e.g.
  // "batch/archive") ended after `latency` (sent to answered, or to the
  // failure): its HTTP status (0 when no answer came), and what the answer meant.
  virtual void OnUpstreamAnswer(absl::string_view /*call*/, int /*http_status*/,
                                AnswerOutcome /*outcome*/, absl::Duration /*latency*/) {}
  // A failed attempt will be retried.
  virtual void OnRetry() {}
  // Work of `lane` ("interactive" or "bulk") for caller `flow` waited this
  // long in the queue before its upstream request was sent.
  virtual void OnQueueWait(absl::string_view /*lane*/, absl::string_view /*flow*/,
                           absl::Duration /*wait*/) {}
  // An upstream request was sent carrying the chunks of `calls` calls and
  // `inputs` inputs in all.
  virtual void OnUpstreamRequest(int /*calls*/, int /*inputs*/) {}
  // The planned limit of the token with `token_fingerprint` changed (headers
  // or a 429) to `requests` per `interval`.
  virtual void OnLearnedLimit(absl::string_view /*token_fingerprint*/, int /*requests*/,
                              absl::Duration /*interval*/) {}
  // The dispatcher forgot the token with `token_fingerprint` (idle for two
  // intervals): nothing more is reported for it until it is used again.
  virtual void OnTokenForgotten(absl::string_view /*token_fingerprint*/) {}
  // A call (or stream) was cancelled, or passed its deadline, with work still queued.
  virtual void OnCancelled() {}
  // HubSpot asked, in Retry-After, for a longer pause than --max_retry_after
  // allows: the token pauses for the cap instead.
  virtual void OnPauseCapped() {}
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_ARCHIVE_OBSERVER_H_
