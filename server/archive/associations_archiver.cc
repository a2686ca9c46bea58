#include "server/archive/associations_archiver.h"

#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/hubspot/batch_merge.h"
#include "server/hubspot/chunking.h"
#include "server/hubspot/request_validation.h"
#include "server/hubspot/upstream_error_status.h"
#include "server/labels/unlabeled_types.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

// The state of one call: its chunks, which are with the dispatcher, and the merge.
class ArchiveCall final : public ChunkOwner, public std::enable_shared_from_this<ArchiveCall> {
 public:
  ArchiveCall(const BatchCall& call, std::string url, std::vector<Chunk> chunks, Lane lane,
              FlowKey flow, absl::Time deadline, std::shared_ptr<TokenDispatcher> dispatcher,
              int max_in_flight, Scheduler& scheduler, ArchiveObserver& observer,
              AssociationsArchiver::Done done)
      : dispatcher_(std::move(dispatcher)),
        scheduler_(scheduler),
        observer_(observer),
        call_(call),
        url_(std::move(url)),
        lane_(lane),
        flow_(std::move(flow)),
        deadline_(deadline),
        max_in_flight_(max_in_flight),
        chunks_(std::move(chunks)),
        done_(std::move(done)) {}

  // Hands the first chunks to the dispatcher; each finished chunk hands the next.
  void LaunchChunks() {
    std::vector<size_t> launch;
    std::vector<size_t> abandon;
    absl::Status stopped;
    {
      absl::MutexLock lock(&mu_);
      stopped = stopped_;
      // The token's adaptive limit may let a call hand more than its own cap.
      const int max_in_flight = std::max(max_in_flight_, dispatcher_->concurrency_limit());
      while (next_chunk_ < chunks_.size() && (!stopped.ok() || in_flight_ < max_in_flight)) {
        (stopped.ok() ? launch : abandon).push_back(next_chunk_++);
        ++in_flight_;
      }
    }
    for (size_t index : abandon) OnChunkDone(index, stopped);
    for (size_t index : launch) {
      QueuedChunk chunk;
      chunk.owner = shared_from_this();
      chunk.index = index;
      chunk.chunk = &chunks_[index];
      chunk.call = &call_;
      chunk.url = url_;
      chunk.lane = lane_;
      chunk.flow = flow_;
      chunk.deadline = deadline_;
      dispatcher_->Submit(std::move(chunk));
    }
  }

  // Hands the first chunks to the dispatcher, unless the deadline has passed.
  void Start() {
    if (deadline_ <= scheduler_.Now()) {
      Stop(UnansweredStatus(absl::StatusCode::kDeadlineExceeded,
                            "the call's deadline expired before it was sent"));
    }
    LaunchChunks();
  }

  // Fails the whole call with `why` before Start, unless it has stopped already.
  void Refuse(const absl::Status& why) {
    {
      absl::MutexLock lock(&mu_);
      if (!stopped_.ok()) return;
      stopped_ = why;
      has_stopped_.store(true, std::memory_order_release);
      next_chunk_ = finished_chunks_ = chunks_.size();
    }
    std::move(done_)(why, UpstreamSummary{});
  }

  // Stops the call with `why`: queued and unlaunched chunks fail at once.
  void Stop(const absl::Status& why) {
    {
      absl::MutexLock lock(&mu_);
      if (!stopped_.ok() || finished_chunks_ == chunks_.size()) return;
      stopped_ = why;
      has_stopped_.store(true, std::memory_order_release);
    }
    observer_.OnCancelled();
    dispatcher_->Cancel(this, why);
    LaunchChunks();
  }

  void OnAttempt(const UpstreamAnswer& answer, bool will_retry) override {
    absl::MutexLock lock(&mu_);
    ++summary_.requests;
    if (will_retry) ++summary_.retries;
    summary_.last_http_status = answer.http_status;
    summary_.last_correlation_id = answer.correlation_id;
  }

  void OnChunkDone(size_t index, absl::StatusOr<v1::BatchResult> outcome) override {
    bool call_finished = false;
    absl::StatusOr<v1::BatchResult> result;
    UpstreamSummary summary;
    {
      absl::MutexLock lock(&mu_);
      if (outcome.ok()) {
        merger_.AddSucceeded(*std::move(outcome));
      } else {
        merger_.AddFailed(chunks_[index], outcome.status());
      }
      --in_flight_;
      call_finished = ++finished_chunks_ == chunks_.size();
      if (call_finished) {
        result = std::move(merger_).Finish();
        summary = summary_;
      }
    }
    if (!call_finished) {
      LaunchChunks();
      return;
    }
    std::move(done_)(std::move(result), summary);
  }

  void OnWaiting() override {
    if (deadline_ == absl::InfiniteFuture() || deadline_timer_armed_.exchange(true)) return;
    scheduler_.RunAfter(deadline_ - scheduler_.Now(), [weak = weak_from_this()] {
      if (std::shared_ptr<ArchiveCall> expired = weak.lock()) {
        expired->Stop(UnansweredStatus(absl::StatusCode::kDeadlineExceeded,
                                       "the call's deadline expired before HubSpot answered (or "
                                       "before the rate budget had room)"));
      }
    });
  }

  absl::Status Stopped() const override {
    if (!has_stopped_.load(std::memory_order_acquire)) return absl::OkStatus();
    absl::MutexLock lock(&mu_);
    return stopped_;
  }

 private:
  const std::shared_ptr<TokenDispatcher> dispatcher_;
  Scheduler& scheduler_;
  ArchiveObserver& observer_;
  const BatchCall& call_;
  const std::string url_;
  const Lane lane_;
  const FlowKey flow_;
  const absl::Time deadline_;
  const int max_in_flight_;
  const std::vector<Chunk> chunks_;
  AssociationsArchiver::Done done_;

  // Set once a chunk waits: only then may the deadline stop the call.
  std::atomic<bool> deadline_timer_armed_{false};
  // Lets Stopped(), asked for every queued chunk, skip the lock until a stop.
  std::atomic<bool> has_stopped_{false};
  mutable absl::Mutex mu_;
  absl::Status stopped_ ABSL_GUARDED_BY(mu_);
  size_t next_chunk_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  size_t finished_chunks_ ABSL_GUARDED_BY(mu_) = 0;
  BatchMerger merger_ ABSL_GUARDED_BY(mu_);
  UpstreamSummary summary_ ABSL_GUARDED_BY(mu_);
};

void ArchiveCancellation::Cancel() const {
  if (std::shared_ptr<ArchiveCall> call = call_.lock()) {
    call->Stop(UnansweredStatus(absl::StatusCode::kCancelled, "the caller cancelled the call"));
  }
}

AssociationsArchiver::AssociationsArchiver(ArchiverOptions options, Dispatcher& dispatcher,
                                           Scheduler& scheduler, ArchiveObserver& observer,
                                           UnlabeledTypeCache& unlabeled_types)
    : options_(std::move(options)),
      dispatcher_(dispatcher),
      scheduler_(scheduler),
      observer_(observer),
      unlabeled_types_(unlabeled_types) {}

int AssociationsArchiver::MaxInFlightPerCall(const std::string& token) {
  return std::max(options_.max_concurrent_requests_per_call,
                  dispatcher_.For(token)->concurrency_limit());
}

ArchiveCancellation AssociationsArchiver::Archive(const v1::ArchiveAssociationsRequest& request,
                                                  ArchiveCallContext context, Done done) {
  if (absl::Status valid = ValidateArchiveRequest(request); !valid.ok()) {
    std::move(done)(valid, UpstreamSummary{});
    return ArchiveCancellation();
  }
  std::shared_ptr<ArchiveCall> call =
      Prepare(kBatchArchive, request.from_object_type(), request.to_object_type(),
              SplitIntoChunks(request, dispatcher_.options().max_inputs_per_request), context,
              std::move(done));
  if (call == nullptr) return ArchiveCancellation();
  call->Start();
  return ArchiveCancellation(call);
}

ArchiveCancellation AssociationsArchiver::ArchiveLabels(
    const v1::ArchiveAssociationLabelsRequest& request, ArchiveCallContext context, Done done) {
  if (absl::Status valid = ValidateLabelsArchiveRequest(request); !valid.ok()) {
    std::move(done)(valid, UpstreamSummary{});
    return ArchiveCancellation();
  }
  std::shared_ptr<ArchiveCall> call =
      Prepare(kBatchLabelsArchive, request.from_object_type(), request.to_object_type(),
              SplitIntoChunks(request, dispatcher_.options().max_inputs_per_request), context,
              std::move(done));
  if (call == nullptr) return ArchiveCancellation();
  std::vector<ListedHubSpotType> listed;
  if (!request.remove_association_if_unlabeled()) listed = HubSpotDefinedTypesListed(request);
  if (listed.empty()) {
    call->Start();
    return ArchiveCancellation(call);
  }
  // The call's deadline and cancellation hold while the pair's types are read.
  call->OnWaiting();
  unlabeled_types_.Lookup(
      LabelsReadFor{context.token, context.lane, context.flow}, request.from_object_type(),
      request.to_object_type(),
      [call, listed = std::move(listed), from = request.from_object_type(),
       to = request.to_object_type()](std::shared_ptr<const UnlabeledTypes> unlabeled) {
        // Unknown (the read failed, and the cache logged it): fail open.
        if (unlabeled != nullptr) {
          if (absl::Status refused = RefuseUnlabeledTypes(listed, *unlabeled, from, to);
              !refused.ok()) {
            call->Refuse(refused);
            return;
          }
        }
        call->Start();
      });
  return ArchiveCancellation(call);
}

std::shared_ptr<ArchiveCall> AssociationsArchiver::Prepare(const BatchCall& batch_call,
                                                           absl::string_view from_object_type,
                                                           absl::string_view to_object_type,
                                                           std::vector<Chunk> chunks,
                                                           const ArchiveCallContext& context,
                                                           Done done) {
  if (context.policy != nullptr) {
    absl::Status allowed =
        context.policy->Allows(batch_call.path == kBatchArchive.path ? "archive" : "labels",
                               from_object_type, to_object_type);
    if (!allowed.ok()) {
      std::move(done)(allowed, UpstreamSummary{});
      return nullptr;
    }
  }
  // Not make_shared: a pending deadline timer (armed only once a chunk has to
  // wait for the budget, or the call for its labels read) then keeps only
  // the control block.
  return std::shared_ptr<ArchiveCall>(new ArchiveCall(
      batch_call, options_.endpoint.BatchUrl(from_object_type, to_object_type, batch_call.path),
      std::move(chunks), context.lane, context.flow, context.deadline,
      dispatcher_.For(context.token), options_.max_concurrent_requests_per_call, scheduler_,
      observer_, std::move(done)));
}

}  // namespace hubspot_gateway
