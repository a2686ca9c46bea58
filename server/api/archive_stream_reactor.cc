#include "server/api/archive_stream_reactor.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/api/grpc_status.h"
#include "server/hubspot/batch_merge.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

namespace {

// Inputs named per error when a whole request failed (as a HubSpot chunk).
constexpr int kInputsPerError = 100;
// One error's serialized size, at most: longer context lists are cut and the
// error says how many values were left out ("omitted").
constexpr int64_t kMaxErrorBytes = 64 << 10;
// Per acknowledgement or error: the position and framing.
constexpr int64_t kEntryOverhead = 16;

void BoundError(v1::StandardError& error) {
  if (static_cast<int64_t>(error.ByteSizeLong()) <= kMaxErrorBytes) return;
  constexpr size_t kMaxMessage = 1024;
  if (error.message().size() > kMaxMessage) error.mutable_message()->resize(kMaxMessage);
  int64_t budget = kMaxErrorBytes / 2;
  int64_t omitted = 0;
  for (auto& [key, list] : *error.mutable_context()) {
    auto* values = list.mutable_values();
    int kept = 0;
    for (const std::string& value : *values) {
      budget -= static_cast<int64_t>(value.size() + key.size() + 4);
      if (budget < 0) break;
      ++kept;
    }
    omitted += values->size() - kept;
    values->DeleteSubrange(kept, values->size() - kept);
  }
  error.clear_errors();
  if (omitted > 0) (*error.mutable_context())["omitted"].add_values(absl::StrCat(omitted));
}

// The errors of a finished request, each bounded in size.
std::deque<v1::StandardError> ErrorsOf(const v1::ArchiveAssociationsRequest& request,
                                       const absl::StatusOr<v1::BatchResult>& result) {
  std::deque<v1::StandardError> errors;
  if (result.ok()) {
    errors.assign(result->errors().begin(), result->errors().end());
  } else {
    Chunk part;
    for (const auto& input : request.inputs()) {
      part.push_back(ArchiveSlice::Whole(input));
      if (static_cast<int>(part.size()) == kInputsPerError) {
        errors.push_back(ChunkFailureError(part, result.status()));
        part.clear();
      }
    }
    if (!part.empty() || errors.empty()) errors.push_back(ChunkFailureError(part, result.status()));
  }
  for (v1::StandardError& error : errors) BoundError(error);
  return errors;
}

int64_t BytesOf(const std::deque<v1::StandardError>& errors) {
  int64_t bytes = kEntryOverhead;
  for (const auto& error : errors) bytes += error.ByteSizeLong() + kEntryOverhead;
  return bytes;
}

}  // namespace

ArchiveStreams::ArchiveStreams(absl::Duration idle_timeout) : idle_timeout_(idle_timeout) {
  if (idle_timeout_ == absl::InfiniteDuration()) return;
  idle_checker_ = std::thread([this] {
    const absl::Duration interval =
        std::clamp(idle_timeout_ / 4, absl::Milliseconds(10), absl::Seconds(1));
    absl::MutexLock lock(&mu_);
    while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval)) EndIdleStreams();
  });
}

ArchiveStreams::~ArchiveStreams() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (idle_checker_.joinable()) idle_checker_.join();
}

void ArchiveStreams::Drain() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
  // A stream's OnDone removes it under mu_, so each one is alive here.
  for (ArchiveStreamReactor* stream : streams_) stream->Drain();
}

bool ArchiveStreams::Add(ArchiveStreamReactor* stream) {
  absl::MutexLock lock(&mu_);
  if (draining_) return false;
  streams_.insert(stream);
  return true;
}

void ArchiveStreams::Remove(ArchiveStreamReactor* stream) {
  absl::MutexLock lock(&mu_);
  streams_.erase(stream);
}

void ArchiveStreams::EndIdleStreams() {
  const absl::Time idle_since = absl::Now() - idle_timeout_;
  for (ArchiveStreamReactor* stream : streams_) stream->EndIfIdleSince(idle_since);
}

ArchiveStreamReactor::ArchiveStreamReactor(grpc::CallbackServerContext& context,
                                           AssociationsArchiver& archiver, ArchiveStreams& streams,
                                           ArchiveCallContext call, absl::Status refusal,
                                           OnFinished on_finished, StreamLimits limits)
    : context_(context),
      archiver_(archiver),
      streams_(streams),
      call_(std::move(call)),
      limits_(limits),
      on_finished_(std::move(on_finished)) {
  if (refusal.ok() && !streams_.Add(this)) {
    refusal = absl::UnavailableError(
        "the gateway is shutting down; send the requests again on a new stream");
  }
  {
    absl::MutexLock lock(&mu_);
    last_active_ = absl::Now();
    if (!refusal.ok()) {
      summary_.status = refusal;
      finished_ = true;
    } else {
      read_pending_ = true;
    }
  }
  if (!refusal.ok()) {
    Finish(ToGrpcStatus(refusal));
    return;
  }
  StartRead(&reading_);
}

void ArchiveStreamReactor::OnReadDone(bool ok) {
  auto received = std::make_shared<v1::ArchiveAssociationsRequest>();
  const bool decoded = ok && grpc::SerializationTraits<v1::ArchiveAssociationsRequest>::Deserialize(
                                 &reading_, received.get())
                                 .ok();
  reading_.Clear();
  bool read_again = false;
  bool archive = false;
  Next next = Next::kNothing;
  {
    absl::MutexLock lock(&mu_);
    read_pending_ = false;
    last_active_ = absl::Now();
    if (!ok) {  // The caller finished writing (or the stream broke).
      reads_done_ = true;
    } else if (!stopped_.ok() || finished_ || cancelled_) {
      // Read before the stream stopped reading: dropped unread (and not
      // acknowledged, so the caller sends it again).
    } else if (!decoded) {
      stopped_ = absl::InvalidArgumentError(absl::StrCat(
          "request ", requests_read_,
          " on the stream could not be decoded (not an ArchiveAssociationsRequest, or a string "
          "that is not valid UTF-8): the requests before it are acknowledged, nothing after it "
          "was read"));
    } else {
      archive = true;
      summary_.inputs_received += received->inputs_size();
      ++in_flight_;
    }
    if (!archive) next = Decide();
  }
  if (archive) {
    Archive(std::move(received));
    absl::MutexLock lock(&mu_);
    read_again = ClaimRead();
    next = Decide();
  }
  Carry(next, read_again);
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
  Finished finished{position, ErrorsOf(request, result)};
  const int64_t bytes = BytesOf(finished.errors);
  bool read_again = false;
  Next next = Next::kNothing;
  {
    absl::MutexLock lock(&mu_);
    summary_.upstream_requests += upstream.requests;
    archiving_.erase(position);
    --in_flight_;
    if (in_flight_ == 0) last_active_ = absl::Now();
    // Cut short by the gateway's own shutdown: unknown, left for the caller
    // to send again rather than reported as failed.
    const bool cut_short =
        !stopped_.ok() && absl::IsUnavailable(stopped_) && !result.ok() &&
        (absl::IsCancelled(result.status()) || absl::IsUnavailable(result.status()));
    if (!cut_short) {
      summary_.inputs_archived += request.inputs_size() - failed;
      summary_.inputs_failed += failed;
      unsent_.push_back(std::move(finished));
      unsent_bytes_ += bytes;
    }
    progress_changed_ = true;
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
    write_pending_ = false;
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
    summary = summary_;
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

void ArchiveStreamReactor::EndIfIdleSince(absl::Time idle_since) {
  bool caller_not_reading = false;
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || cancelled_ || in_flight_ > 0 || last_active_ > idle_since) return;
    // A caller that has read no progress for the whole timeout keeps a write
    // pending, so no last message can reach it: only cancelling ends the
    // stream. What it was not sent stays unacknowledged, safe to resend.
    caller_not_reading = write_pending_ && write_started_ <= idle_since;
    if (caller_not_reading) {
      summary_.status = absl::DeadlineExceededError(absl::StrCat(
          "stream idle for ", absl::FormatDuration(streams_.idle_timeout()),
          " with its caller reading no progress (--stream_idle_timeout): cancelled by the "
          "gateway"));
      cancelled_ = true;  // Reads nothing more; OnCancel follows.
    }
  }
  if (caller_not_reading) {
    context_.TryCancel();
    return;
  }
  Stop(absl::DeadlineExceededError(absl::StrCat(
      "stream idle for ", absl::FormatDuration(streams_.idle_timeout()),
      " (no request read and none in flight; --stream_idle_timeout): ended by the gateway")));
}

bool ArchiveStreamReactor::ClaimRead() {
  if (read_pending_ || reads_done_ || cancelled_ || finished_ || !stopped_.ok() ||
      in_flight_ >= archiver_.MaxInFlightPerCall(call_.token) ||
      (write_pending_ && unsent_bytes_ > limits_.max_unsent_bytes)) {
    return false;
  }
  read_pending_ = true;
  return true;
}

ArchiveStreamReactor::Next ArchiveStreamReactor::Decide() {
  if (finished_) return Next::kNothing;
  if (cancelled_) {
    if (write_pending_ || in_flight_ > 0 || read_pending_) return Next::kNothing;
    finished_ = true;
    if (summary_.status.ok())
      summary_.status = absl::CancelledError("the caller cancelled the stream");
    return Next::kFinish;
  }
  // Requests being archived still report back to this reactor: it may only
  // finish once they all have. A stream that stopped reading ends without
  // waiting for the read under way (finishing ends it).
  const bool all_done = (reads_done_ || !stopped_.ok()) && in_flight_ == 0;
  if (write_pending_) return Next::kNothing;
  if (progress_changed_ || !unsent_.empty() || (all_done && !final_written_)) {
    v1::ArchiveProgress progress;
    progress.set_inputs_received(summary_.inputs_received);
    progress.set_inputs_archived(summary_.inputs_archived);
    progress.set_inputs_failed(summary_.inputs_failed);
    progress.set_upstream_requests(summary_.upstream_requests);
    progress.set_requests_read(static_cast<int64_t>(requests_read_));
    TakeUnsent(progress);
    const bool last = all_done && unsent_.empty();
    progress.set_done(last);
    final_written_ = last;
    progress_changed_ = false;
    bool own_buffer = false;
    writing_.Clear();
    (void)grpc::SerializationTraits<v1::ArchiveProgress>::Serialize(progress, &writing_,
                                                                    &own_buffer);
    write_pending_ = true;
    write_started_ = absl::Now();
    return Next::kWrite;
  }
  if (all_done && final_written_) {
    finished_ = true;
    if (summary_.status.ok()) summary_.status = stopped_;
    return Next::kFinish;
  }
  return Next::kNothing;
}

void ArchiveStreamReactor::TakeUnsent(v1::ArchiveProgress& progress) {
  int64_t bytes = 0;
  std::vector<int64_t> acknowledged;
  while (!unsent_.empty() &&
         static_cast<int>(acknowledged.size()) < limits_.max_message_acknowledgements) {
    Finished& next = unsent_.front();
    while (!next.errors.empty()) {
      const int64_t size = next.errors.front().ByteSizeLong() + kEntryOverhead;
      // A message always carries at least one error, so each makes progress.
      if (progress.errors_size() > 0 && (bytes + size > limits_.max_message_bytes ||
                                         progress.errors_size() >= limits_.max_message_errors)) {
        break;
      }
      bytes += size;
      unsent_bytes_ -= size;
      *progress.add_errors() = std::move(next.errors.front());
      progress.add_error_positions(static_cast<int64_t>(next.position));
      next.errors.pop_front();
    }
    if (!next.errors.empty()) break;  // The message is full.
    acknowledged.push_back(static_cast<int64_t>(next.position));
    unsent_bytes_ -= kEntryOverhead;
    unsent_.pop_front();
  }
  std::sort(acknowledged.begin(), acknowledged.end());
  for (int64_t position : acknowledged) progress.add_acknowledged(position);
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
        status = summary_.status;
      }
      Finish(ToGrpcStatus(status));
      return;
    }
  }
}

}  // namespace hubspot_gateway
