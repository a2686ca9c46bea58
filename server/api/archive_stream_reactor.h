// ArchiveStreamReactor serves one ArchiveAssociationsStream: it reads a
// request, hands it to the AssociationsArchiver, and reads the next only
// while its flow window allows (StreamFlowWindow: --max_concurrent_requests_per_call
// in flight, or the token's adaptive concurrency limit when higher), so the stream moves as
// fast as HubSpot's rate budget allows and memory stays bounded whatever the
// total. Progress is written as requests finish (StreamProgress), each
// request acknowledged by its position on the stream (see the proto), its
// errors bounded (stream_errors.h); the last message has `done` and the
// totals. It registers with ArchiveStreams, which drains it at shutdown and
// ends it when idle (StreamIdleness, on the registry's Scheduler).
//
// Owned by gRPC: deletes itself in OnDone. Thread-safe: gRPC's reactions,
// the archiver's `done` callbacks (on a transport or scheduler thread) and
// ArchiveStreams' calls (Drain on the draining thread, CheckIdle on a
// scheduler thread) may run at once; each takes mu_ for its state and calls
// gRPC, the archiver and `on_finished` without it. Lock order: ArchiveStreams'
// registration lock of this stream, then mu_, then the Scheduler's (and the
// dispatcher's, read by the archiver's MaxInFlightPerCall).
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ARCHIVE_STREAM_REACTOR_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ARCHIVE_STREAM_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/api/archive_streams.h"
#include "server/api/stream_flow_window.h"
#include "server/api/stream_idleness.h"
#include "server/api/stream_progress.h"
#include "server/archive/associations_archiver.h"

namespace hubspot_gateway {

// What a finished stream did, for its log line and metrics.
struct StreamSummary {
  absl::Status status;
  int64_t inputs_received = 0;
  int64_t inputs_archived = 0;
  int64_t inputs_failed = 0;
  int64_t upstream_requests = 0;
};

// Bounds of one stream's progress messages and of what it holds unsent.
struct StreamLimits {
  ProgressLimits message;
  // While a write is under way and this much (errors, acknowledgements)
  // waits behind it, no new request is read: a caller that stops reading
  // stops the stream instead of growing the gateway's memory.
  int64_t max_unsent_bytes = 4 << 20;
};

class ArchiveStreamReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
      public LiveStream {
 public:
  using OnFinished = absl::AnyInvocable<void(const StreamSummary&) &&>;

  // What every stream shares; all must outlive the stream. The stream's
  // clock is `streams.scheduler()`, the one that checks its idleness.
  struct Dependencies {
    AssociationsArchiver& archiver;
    ArchiveStreams& streams;
    StreamLimits limits;
  };

  // Serves the stream's requests as `call` says (token, deadline, lane);
  // when `refusal` is not OK (no token, overload) the stream ends at once
  // with it. `on_finished` runs once, on a gRPC thread, when gRPC is done
  // with the stream.
  ArchiveStreamReactor(grpc::CallbackServerContext& context, const Dependencies& dependencies,
                       ArchiveCallContext call, absl::Status refusal, OnFinished on_finished);

  // gRPC's reactions.
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // LiveStream: stops reading and ends with UNAVAILABLE once what was read
  // is acknowledged.
  void Drain() override;
  // LiveStream: stops an idle stream with DEADLINE_EXCEEDED once what it read
  // is acknowledged, or cancels it when its caller reads no progress (its
  // pending write would otherwise keep the stream open for ever).
  void CheckIdle(absl::Time now) override;

 private:
  enum class Next { kNothing, kWrite, kFinish };

  void Archive(
      uint64_t position,
      std::shared_ptr<const hubspot::crm::associations::v1::ArchiveAssociationsRequest> request);
  void OnArchived(uint64_t position,
                  const hubspot::crm::associations::v1::ArchiveAssociationsRequest& request,
                  const absl::StatusOr<hubspot::crm::associations::v1::BatchResult>& result,
                  const UpstreamSummary& upstream);
  // Stops reading, ends the stream with `why` once what was read is
  // acknowledged (unless it already ends otherwise).
  void Stop(absl::Status why);
  // Whether another read may start now; marks it started.
  bool ClaimRead() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // What to do next on the stream; prepares `writing_` for kWrite.
  Next Decide() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Carries out a decision (and starts a read if `read`), outside the lock.
  void Carry(Next next, bool read = false) ABSL_LOCKS_EXCLUDED(mu_);

  // Valid until OnDone; used only to cancel a stream whose caller stopped reading.
  grpc::CallbackServerContext& context_;
  AssociationsArchiver& archiver_;
  ArchiveStreams& streams_;
  Scheduler& clock_;
  const ArchiveCallContext call_;
  OnFinished on_finished_;

  absl::Mutex mu_;
  // The buffer of the read under way. Not under mu_: only the one read in
  // flight (window_.read_pending()) touches it, from StartRead to its OnReadDone.
  grpc::ByteBuffer reading_;
  // The message of the write under way. Not under mu_: Decide fills it (under
  // mu_) only while no write is pending, and gRPC reads it until OnWriteDone.
  grpc::ByteBuffer writing_;
  StreamFlowWindow window_ ABSL_GUARDED_BY(mu_);
  StreamProgress progress_ ABSL_GUARDED_BY(mu_);
  StreamIdleness idleness_ ABSL_GUARDED_BY(mu_);
  // How to cancel each request being archived, by position.
  absl::flat_hash_map<uint64_t, ArchiveCancellation> archiving_ ABSL_GUARDED_BY(mu_);
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool final_written_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // Why reading stopped before the caller finished writing (drain, an
  // undecodable message, idleness); the stream ends with it.
  absl::Status stopped_ ABSL_GUARDED_BY(mu_);
  // What the stream ends with (OK until decided).
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ARCHIVE_STREAM_REACTOR_H_
