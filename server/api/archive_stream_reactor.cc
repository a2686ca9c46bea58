#include "server/api/archive_stream_reactor.h"

#include <utility>

#include "server/api/grpc_status.h"
#include "server/hubspot/batch_merge.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

ArchiveStreamReactor::ArchiveStreamReactor(AssociationsArchiver& archiver, ArchiveCallContext call,
                                           absl::Status refusal, OnFinished on_finished)
    : archiver_(archiver),
      call_(std::move(call)),
      max_requests_in_flight_(archiver.options().max_concurrent_requests_per_call),
      on_finished_(std::move(on_finished)),
      reading_(std::make_unique<v1::ArchiveAssociationsRequest>()) {
  if (!refusal.ok()) {
    {
      absl::MutexLock lock(&mu_);
      summary_.status = refusal;
      finished_ = true;
    }
    Finish(ToGrpcStatus(refusal));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    read_pending_ = true;
  }
  StartRead(reading_.get());
}

void ArchiveStreamReactor::OnReadDone(bool ok) {
  std::shared_ptr<const v1::ArchiveAssociationsRequest> received;
  bool read_again = false;
  Next next = Next::kNothing;
  {
    absl::MutexLock lock(&mu_);
    read_pending_ = false;
    if (!ok) {  // The caller finished writing (or the stream broke).
      reads_done_ = true;
      next = Decide();
    } else {
      received = std::move(reading_);
      reading_ = std::make_unique<v1::ArchiveAssociationsRequest>();
      summary_.inputs_received += received->inputs_size();
      ++in_flight_;
      read_again = ClaimRead();
    }
  }
  if (received != nullptr) Archive(std::move(received));
  if (read_again) StartRead(reading_.get());
  Carry(next);
}

void ArchiveStreamReactor::Archive(std::shared_ptr<const v1::ArchiveAssociationsRequest> request) {
  uint64_t position = 0;
  {
    absl::MutexLock lock(&mu_);
    position = requests_read_++;
    archiving_.emplace(position, ArchiveCancellation());
  }
  const v1::ArchiveAssociationsRequest& view = *request;
  ArchiveCancellation cancellation = archiver_.Archive(
      view, call_,
      [this, position, request = std::move(request)](absl::StatusOr<v1::BatchResult> result,
                                                     const UpstreamSummary& summary) {
        OnArchived(position, *request, result, summary);
      });
  bool cancel_now = false;
  {
    absl::MutexLock lock(&mu_);
    // Not yet finished (it may finish inline): keep the way to cancel it.
    if (archiving_.contains(position)) {
      archiving_[position] = cancellation;
      cancel_now = cancelled_;
    }
  }
  if (cancel_now) cancellation.Cancel();
}

void ArchiveStreamReactor::OnArchived(uint64_t position,
                                      const v1::ArchiveAssociationsRequest& request,
                                      const absl::StatusOr<v1::BatchResult>& result,
                                      const UpstreamSummary& upstream) {
  const int failed = FailedInputs(request, result);
  std::vector<v1::StandardError> errors;
  if (result.ok()) {
    errors.assign(result->errors().begin(), result->errors().end());
  } else {
    Chunk whole;
    for (const auto& input : request.inputs()) whole.push_back(ArchiveSlice::Whole(input));
    errors.push_back(ChunkFailureError(whole, result.status()));
  }
  bool read_again = false;
  Next next = Next::kNothing;
  {
    absl::MutexLock lock(&mu_);
    summary_.inputs_archived += request.inputs_size() - failed;
    summary_.inputs_failed += failed;
    summary_.upstream_requests += upstream.requests;
    archiving_.erase(position);
    for (auto& error : errors) new_errors_.push_back(std::move(error));
    progress_changed_ = true;
    --in_flight_;
    read_again = ClaimRead();
    next = Decide();
  }
  if (read_again) StartRead(reading_.get());
  Carry(next);
}

void ArchiveStreamReactor::OnWriteDone(bool ok) {
  Next next = Next::kNothing;
  {
    absl::MutexLock lock(&mu_);
    write_pending_ = false;
    if (!ok) cancelled_ = true;  // The caller is gone.
    next = Decide();
  }
  Carry(next);
}

void ArchiveStreamReactor::OnCancel() {
  Next next = Next::kNothing;
  std::vector<ArchiveCancellation> archiving;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    for (const auto& [position, cancellation] : archiving_) archiving.push_back(cancellation);
    next = Decide();
  }
  // Their queued chunks leave the dispatcher now; Decide finishes the stream
  // once every request being archived has reported back.
  for (const ArchiveCancellation& cancellation : archiving) cancellation.Cancel();
  Carry(next);
}

void ArchiveStreamReactor::OnDone() {
  StreamSummary summary;
  {
    absl::MutexLock lock(&mu_);
    summary = summary_;
  }
  std::move(on_finished_)(summary);
  delete this;
}

bool ArchiveStreamReactor::ClaimRead() {
  if (read_pending_ || reads_done_ || cancelled_ || finished_ ||
      in_flight_ >= max_requests_in_flight_) {
    return false;
  }
  read_pending_ = true;
  return true;
}

ArchiveStreamReactor::Next ArchiveStreamReactor::Decide() {
  if (finished_ || write_pending_) return Next::kNothing;
  // Requests being archived still report back to this reactor: it may only
  // finish once they all have.
  const bool all_done = reads_done_ && in_flight_ == 0;
  if (cancelled_) {
    if (in_flight_ > 0 || read_pending_) return Next::kNothing;
    finished_ = true;
    summary_.status = absl::CancelledError("the caller cancelled the stream");
    return Next::kFinish;
  }
  if (progress_changed_ || (all_done && !final_written_)) {
    writing_.Clear();
    writing_.set_inputs_received(summary_.inputs_received);
    writing_.set_inputs_archived(summary_.inputs_archived);
    writing_.set_inputs_failed(summary_.inputs_failed);
    writing_.set_upstream_requests(summary_.upstream_requests);
    for (auto& error : new_errors_) *writing_.add_errors() = std::move(error);
    new_errors_.clear();
    writing_.set_done(all_done);
    final_written_ = all_done;
    progress_changed_ = false;
    write_pending_ = true;
    return Next::kWrite;
  }
  if (all_done && final_written_) {
    finished_ = true;
    return Next::kFinish;
  }
  return Next::kNothing;
}

void ArchiveStreamReactor::Carry(Next next) {
  switch (next) {
    case Next::kNothing:
      return;
    case Next::kWrite:
      StartWrite(&writing_);
      return;
    case Next::kFinish: {
      absl::Status status;
      {
        absl::MutexLock lock(&mu_);
        status = summary_.status;
      }
      Finish(ToGrpcStatus(status));
      return;
    }
  }
}

}  // namespace hubspot_gateway
