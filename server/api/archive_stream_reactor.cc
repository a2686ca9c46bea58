#include "server/api/archive_stream_reactor.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "server/api/grpc_status.h"
#include "server/api/stream_errors.h"
#include "server/api/stream_request_decoder.h"
#include "server/hubspot/batch_merge.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

ArchiveStreamReactor::ArchiveStreamReactor(grpc::CallbackServerContext& context,
                                           const Dependencies& dependencies,
                                           ArchiveCallContext call, absl::Status refusal,
                                           OnFinished on_finished)
    : context_(context),
      archiver_(dependencies.archiver),
      streams_(dependencies.streams),
      clock_(dependencies.streams.scheduler()),
      call_(std::move(call)),
      on_finished_(std::move(on_finished)),
      window_(FlowLimits{dependencies.archiver.options().max_concurrent_requests_per_call,
                         dependencies.limits.max_unsent_bytes}),
      progress_(dependencies.limits.message),
      idleness_(dependencies.streams.idle_timeout(), clock_.Now()) {
  if (refusal.ok() && !streams_.Add(this)) {
    refusal = absl::UnavailableError(
        "the gateway is shutting down; send the requests again on a new stream");
  }
  bool read = false;
  {
    absl::MutexLock lock(&mu_);
    if (!refusal.ok()) {
      status_ = refusal;
      finished_ = true;
    } else {
      read = ClaimRead();
    }
  }
  if (!refusal.ok()) {
    Finish(ToGrpcStatus(refusal));
    return;
  }
  if (read) StartRead(&reading_);
}

void ArchiveStreamReactor::OnReadDone(bool ok) {
  std::optional<v1::ArchiveAssociationsRequest> decoded;
  if (ok) {
    decoded = DecodeStreamRequest(reading_);
  } else {
    reading_.Clear();
  }
  const absl::Time now = clock_.Now();
  bool archive = false;
  uint64_t position = 0;
  Next next = Next::kNothing;
  {
    absl::MutexLock lock(&mu_);
    idleness_.Active(now);
    if (!ok) {  // The caller finished writing (or the stream broke).
      reads_done_ = true;
    } else if (!stopped_.ok() || finished_ || cancelled_) {
      // Read before the stream stopped reading: dropped unread (and not
      // acknowledged, so the caller sends it again).
    } else if (!decoded.has_value()) {
      stopped_ = UndecodableStreamRequestError(progress_.counts().requests_read);
    } else {
      archive = true;
      position = progress_.Read(decoded->inputs_size());
      archiving_.emplace(position, ArchiveCancellation());
    }
    window_.ReadDone(archive);
    if (!archive) next = Decide();
  }
  bool read_again = false;
  if (archive) {
    Archive(position, std::make_shared<const v1::ArchiveAssociationsRequest>(*std::move(decoded)));
    absl::MutexLock lock(&mu_);
    read_again = ClaimRead();
    next = Decide();
  }
  Carry(next, read_again);
}

void ArchiveStreamReactor::Archive(uint64_t position,
                                   std::shared_ptr<const v1::ArchiveAssociationsRequest> request) {
  const v1::ArchiveAssociationsRequest& view = *request;
  ArchiveCancellation cancellation = archiver_.Archive(
      view, call_,
      [this, position, request = std::move(request)](absl::StatusOr<v1::BatchResult> result,
                                                     const UpstreamSummary& upstream) {
        OnArchived(position, *request, result, upstream);
      });
  bool cancel_now = false;
  {
    absl::MutexLock lock(&mu_);
    // Not yet finished (it may finish inline): keep the way to cancel it.
    auto it = archiving_.find(position);
    if (it != archiving_.end()) {
      it->second = cancellation;
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
  std::deque<v1::StandardError> errors = BoundedErrorsOf(request, result);
  const absl::Time now = clock_.Now();
  bool read_again = false;
  Next next = Next::kNothing;
  {
    absl::MutexLock lock(&mu_);
    progress_.CountUpstream(upstream.requests);
    archiving_.erase(position);
    window_.ArchiveDone();
    if (window_.in_flight() == 0) idleness_.Active(now);
    // Cut short by the gateway's own shutdown: unknown, left for the caller
    // to send again rather than reported as failed.
    const bool cut_short =
        absl::IsUnavailable(stopped_) && !result.ok() &&
        (absl::IsCancelled(result.status()) || absl::IsUnavailable(result.status()));
    if (!cut_short) {
      progress_.Finished(position, request.inputs_size() - failed, failed, std::move(errors));
    }
    read_again = ClaimRead();
    next = Decide();
  }
  Carry(next, read_again);
}

void ArchiveStreamReactor::OnWriteDone(bool ok) {
  bool read_again = false;
  Next next = Next::kNothing;
  {
    absl::MutexLock lock(&mu_);
    window_.WriteDone();
    if (!ok) cancelled_ = true;  // The caller is gone.
    next = Decide();
    read_again = ClaimRead();
  }
  Carry(next, read_again);
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
  streams_.Remove(this);
  StreamSummary summary;
  {
    absl::MutexLock lock(&mu_);
    const StreamCounts& counts = progress_.counts();
    summary.status = status_;
    summary.inputs_received = counts.inputs_received;
    summary.inputs_archived = counts.inputs_archived;
    summary.inputs_failed = counts.inputs_failed;
    summary.upstream_requests = counts.upstream_requests;
  }
  std::move(on_finished_)(summary);
  delete this;
}

void ArchiveStreamReactor::Stop(absl::Status why) {
  Next next = Next::kNothing;
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || reads_done_ || !stopped_.ok()) return;
    stopped_ = std::move(why);
    next = Decide();
  }
  Carry(next);
}

void ArchiveStreamReactor::Drain() {
  Stop(absl::UnavailableError(
      "the gateway is shutting down: the requests it read are acknowledged; send the "
      "unacknowledged ones again on a new stream"));
}

void ArchiveStreamReactor::CheckIdle(absl::Time now) {
  absl::Status idle;
  bool cancel = false;
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || cancelled_) return;
    switch (idleness_.Check(now, window_.in_flight() > 0, window_.write_pending())) {
      case StreamIdleness::Verdict::kActive:
        return;
      case StreamIdleness::Verdict::kIdle:
        idle = idleness_.IdleError();
        break;
      case StreamIdleness::Verdict::kCallerNotReading:
        status_ = idleness_.CallerNotReadingError();
        cancelled_ = true;  // Reads nothing more; OnCancel follows.
        cancel = true;
        break;
    }
  }
  if (cancel) {
    context_.TryCancel();
    return;
  }
  Stop(std::move(idle));
}

bool ArchiveStreamReactor::ClaimRead() {
  if (reads_done_ || cancelled_ || finished_ || !stopped_.ok()) return false;
  return window_.TryStartRead(progress_.unsent_bytes(), archiver_.MaxInFlightPerCall(call_.token));
}

ArchiveStreamReactor::Next ArchiveStreamReactor::Decide() {
  if (finished_) return Next::kNothing;
  if (cancelled_) {
    if (window_.write_pending() || window_.in_flight() > 0 || window_.read_pending()) {
      return Next::kNothing;
    }
    finished_ = true;
    if (status_.ok()) status_ = absl::CancelledError("the caller cancelled the stream");
    return Next::kFinish;
  }
  // Requests being archived still report back to this reactor: it may only
  // finish once they all have. A stream that stopped reading ends without
  // waiting for the read under way (finishing ends it).
  const bool all_done = (reads_done_ || !stopped_.ok()) && window_.in_flight() == 0;
  if (window_.write_pending()) return Next::kNothing;
  if (progress_.HasNews() || (all_done && !final_written_)) {
    const v1::ArchiveProgress message = progress_.Next(/*finished=*/all_done);
    final_written_ = message.done();
    bool own_buffer = false;
    writing_.Clear();
    (void)grpc::SerializationTraits<v1::ArchiveProgress>::Serialize(message, &writing_,
                                                                    &own_buffer);
    window_.WriteStarted();
    idleness_.WriteStarted(clock_.Now());
    return Next::kWrite;
  }
  if (all_done && final_written_) {
    finished_ = true;
    if (status_.ok()) status_ = stopped_;
    return Next::kFinish;
  }
  return Next::kNothing;
}

void ArchiveStreamReactor::Carry(Next next, bool read) {
  if (read) StartRead(&reading_);
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
        status = status_;
      }
      Finish(ToGrpcStatus(status));
      return;
    }
  }
}

}  // namespace hubspot_gateway
