// AssociationsArchiver carries out one ArchiveAssociations (batch/archive) or
// ArchiveAssociationLabels (batch/labels/archive) call against HubSpot, both
// on one path parameterised by the BatchCall: validate, split into chunks, hand them (a bounded
// number at once) to the token's TokenDispatcher, which paces, coalesces and retries them, and
// merge the answers so every input is accounted for. A call can be cancelled, and stops by itself
// at its deadline: its queued chunks fail at once and nothing new is sent for it. A labels call
// listing a HUBSPOT_DEFINED type first asks the UnlabeledTypeCache whether it is the pair's
// unlabeled type (server/labels/), unless the request opts in to removing whole associations.
// Independent of gRPC. Thread-safe; each call gets its own small state.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_ARCHIVE_ASSOCIATIONS_ARCHIVER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_ARCHIVE_ASSOCIATIONS_ARCHIVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/budget/token_budget.h"
#include "server/clock/scheduler.h"
#include "server/dispatch/archive_observer.h"
#include "server/dispatch/dispatcher.h"
#include "server/flow/caller_policy.h"
#include "server/flow/flow_queue.h"
#include "server/hubspot/batch_call.h"
#include "server/hubspot/chunking.h"
#include "server/hubspot/endpoint.h"
#include "server/labels/unlabeled_type_cache.h"

namespace hubspot_gateway {

// What a call did upstream, for its log line.
struct UpstreamSummary {
  // Upstream requests that carried the call's chunks (shared ones included).
  int requests = 0;
  int retries = 0;
  // Of the last answer; 0 when none arrived.
  int last_http_status = 0;
  std::string last_correlation_id;
};

struct ArchiverOptions {
  HubSpotEndpoint endpoint;
  // Chunks of one call (requests of one stream) handed to the dispatcher at
  // once, at least (more while the token's adaptive concurrency limit is higher).
  int max_concurrent_requests_per_call = 4;
};

// Who is calling, with which token, by when, in which lane.
struct ArchiveCallContext {
  std::string token;
  absl::Time deadline = absl::InfiniteFuture();
  Lane lane = Lane::kInteractive;
  // The caller's flow (its name, weight and share) among the token's callers.
  FlowKey flow;
  // What the caller may do; null: anything.
  std::shared_ptr<const CallerPolicy> policy;
};

class ArchiveCall;

// Cancels a running call (a no-op once it has finished). Copyable; thread-safe.
class ArchiveCancellation {
 public:
  ArchiveCancellation() = default;
  explicit ArchiveCancellation(std::weak_ptr<ArchiveCall> call) : call_(std::move(call)) {}
  // Its queued chunks fail at once with CANCELLED; chunks already sent
  // finish, and then the call's `done` runs.
  void Cancel() const;

 private:
  std::weak_ptr<ArchiveCall> call_;
};

class AssociationsArchiver {
 public:
  using Done =
      absl::AnyInvocable<void(absl::StatusOr<hubspot::crm::associations::v1::BatchResult> result,
                              const UpstreamSummary& summary) &&>;

  // All references must outlive the archiver.
  AssociationsArchiver(ArchiverOptions options, Dispatcher& dispatcher, Scheduler& scheduler,
                       ArchiveObserver& observer, UnlabeledTypeCache& unlabeled_types);

  const ArchiverOptions& options() const { return options_; }
  // The clock and timer the archiver runs on, for the layers above it.
  Scheduler& scheduler() const { return scheduler_; }

  // How many chunks (stream requests) one call of `token` may have with the
  // dispatcher at once: max_concurrent_requests_per_call, or the token's
  // adaptive concurrency limit when higher.
  int MaxInFlightPerCall(const std::string& token);

  // Archives `request` as `context` says; `done` runs once, on any thread,
  // possibly before Archive returns. `request` must stay alive until then.
  // Invalid requests fail with INVALID_ARGUMENT, and requests the caller's
  // policy does not allow with PERMISSION_DENIED, without any HTTP request.
  ArchiveCancellation Archive(
      const hubspot::crm::associations::v1::ArchiveAssociationsRequest& request,
      ArchiveCallContext context, Done done);

  // The same for batch/labels/archive: removes the listed labels. Unless
  // the request sets remove_association_if_unlabeled, a call that lists a
  // HUBSPOT_DEFINED type waits for the pair's unlabeled types (a read paid by
  // this caller, or a kept answer) and fails INVALID_ARGUMENT, without any
  // archive request, when an input lists one; when they cannot be read it
  // goes ahead (fail open; the cache logs it).
  ArchiveCancellation ArchiveLabels(
      const hubspot::crm::associations::v1::ArchiveAssociationLabelsRequest& request,
      ArchiveCallContext context, Done done);

 private:
  // Checks the caller's policy, then makes the call of `batch_call` over its
  // (validated) chunks, not yet started; null when refused (`done` has run).
  std::shared_ptr<ArchiveCall> Prepare(const BatchCall& batch_call,
                                       absl::string_view from_object_type,
                                       absl::string_view to_object_type, std::vector<Chunk> chunks,
                                       const ArchiveCallContext& context, Done done);

  const ArchiverOptions options_;
  Dispatcher& dispatcher_;
  Scheduler& scheduler_;
  ArchiveObserver& observer_;
  UnlabeledTypeCache& unlabeled_types_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_ARCHIVE_ASSOCIATIONS_ARCHIVER_H_
