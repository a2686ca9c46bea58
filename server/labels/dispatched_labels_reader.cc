#include "server/labels/dispatched_labels_reader.h"

#include <atomic>
#include <memory>
#include <utility>

#include "server/hubspot/batch_call.h"
#include "server/hubspot/upstream_error_status.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

namespace {

// One read, as the dispatcher's owner of a chunk that carries no inputs.
class LabelsRead final : public ChunkOwner, public std::enable_shared_from_this<LabelsRead> {
 public:
  LabelsRead(std::shared_ptr<TokenDispatcher> dispatcher, absl::Time deadline, Scheduler& scheduler,
             AssociationLabelsReader::Done done)
      : dispatcher_(std::move(dispatcher)),
        scheduler_(scheduler),
        deadline_(deadline),
        done_(std::move(done)) {}

  void Submit(std::string url, Lane lane, FlowKey flow) {
    QueuedChunk chunk;
    chunk.owner = shared_from_this();
    chunk.chunk = &no_inputs_;
    chunk.call = &kAssociationLabelsRead;
    chunk.url = std::move(url);
    chunk.lane = lane;
    chunk.flow = std::move(flow);
    chunk.deadline = deadline_;
    if (deadline_ <= scheduler_.Now()) Expire();
    dispatcher_->Submit(std::move(chunk));
  }

  // The read's attempts belong to no call: the call log and the merge never see them.
  void OnAttempt(const UpstreamAnswer&, bool) override {}

  // Runs once: the read is one chunk.
  void OnChunkDone(size_t, absl::StatusOr<v1::BatchResult> outcome) override {
    if (!outcome.ok()) {
      std::move(done_)(outcome.status());
      return;
    }
    std::move(done_)(UnlabeledTypesOf(*outcome));
  }

  absl::Status Stopped() const override {
    if (!expired_.load(std::memory_order_acquire)) return absl::OkStatus();
    return Expired();
  }

  void OnWaiting() override {
    if (deadline_ == absl::InfiniteFuture() || timer_armed_.exchange(true)) return;
    scheduler_.RunAfter(deadline_ - scheduler_.Now(), [weak = weak_from_this()] {
      if (std::shared_ptr<LabelsRead> read = weak.lock()) {
        read->Expire();
        read->dispatcher_->Cancel(read.get(), Expired());
      }
    });
  }

 private:
  static absl::Status Expired() {
    return UnansweredStatus(absl::StatusCode::kDeadlineExceeded,
                            "the association labels read found no room in the rate budget, or "
                            "no answer, in time");
  }
  void Expire() { expired_.store(true, std::memory_order_release); }

  const std::shared_ptr<TokenDispatcher> dispatcher_;
  Scheduler& scheduler_;
  const absl::Time deadline_;
  // The read's chunk: it carries no inputs.
  const Chunk no_inputs_;
  std::atomic<bool> timer_armed_{false};
  std::atomic<bool> expired_{false};
  // Touched only by the one OnChunkDone.
  AssociationLabelsReader::Done done_;
};

}  // namespace

DispatchedLabelsReader::DispatchedLabelsReader(const HubSpotEndpoint& endpoint,
                                               Dispatcher& dispatcher, Scheduler& scheduler)
    : endpoint_(endpoint), dispatcher_(dispatcher), scheduler_(scheduler) {}

void DispatchedLabelsReader::Read(const LabelsReadFor& who, absl::string_view from_object_type,
                                  absl::string_view to_object_type, absl::Time deadline,
                                  Done done) {
  // Not make_shared: a pending deadline timer then keeps only the control block.
  std::shared_ptr<LabelsRead> read(
      new LabelsRead(dispatcher_.For(who.token), deadline, scheduler_, std::move(done)));
  read->Submit(endpoint_.BatchUrl(from_object_type, to_object_type, kAssociationLabelsRead.path),
               who.lane, who.flow);
}

}  // namespace hubspot_gateway
