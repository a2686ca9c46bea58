// ArchiveStreamReactor serves one ArchiveAssociationsStream: it reads a
// request, hands it to the AssociationsArchiver, and reads the next only
// while fewer than the archiver's MaxInFlightPerCall are being archived
// (--max_concurrent_requests_per_call, or the token's adaptive concurrency
// limit when higher) and the caller
// keeps reading its progress, so the stream moves as fast as HubSpot's rate
// budget allows and memory stays bounded whatever the total. Progress is
// written as requests finish, acknowledging each by its position on the
// stream (see the proto), each message bounded in size; the last message has
// `done` and the totals. ArchiveStreams tracks the live streams to drain them
// at shutdown and end idle ones.
// The reactor is owned by gRPC (deletes itself in OnDone). Both thread-safe.
// Lock order: the reactor's lock, then the dispatcher's (MaxInFlightPerCall).
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ARCHIVE_STREAM_REACTOR_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ARCHIVE_STREAM_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
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
  // Serialized errors per progress message (gRPC's default limit is 4 MiB).
  int64_t max_message_bytes = 1 << 20;
  int max_message_errors = 1000;
  int max_message_acknowledgements = 10000;
  // While a write is under way and this much (errors, acknowledgements)
  // waits behind it, no new request is read: a caller that stops reading
  // stops the stream instead of growing the gateway's memory.
  int64_t max_unsent_bytes = 4 << 20;
};

class ArchiveStreamReactor;

// The live streams: drained together at shutdown, and ended when idle
// longer than `idle_timeout` (checked by a thread of its own when finite).
class ArchiveStreams {
 public:
  explicit ArchiveStreams(absl::Duration idle_timeout);
  ~ArchiveStreams();
  ArchiveStreams(const ArchiveStreams&) = delete;
  ArchiveStreams& operator=(const ArchiveStreams&) = delete;

  // Makes every live stream stop reading, finish what it read, acknowledge
  // it and end with UNAVAILABLE; streams that start later are refused so.
  void Drain();

  absl::Duration idle_timeout() const { return idle_timeout_; }

 private:
  friend class ArchiveStreamReactor;
  // False (not added) once draining.
  bool Add(ArchiveStreamReactor* stream);
  void Remove(ArchiveStreamReactor* stream);
  void EndIdleStreams();

  const absl::Duration idle_timeout_;
  absl::Mutex mu_;
  absl::flat_hash_set<ArchiveStreamReactor*> streams_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread idle_checker_;
};

class ArchiveStreamReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  using OnFinished = absl::AnyInvocable<void(const StreamSummary&) &&>;

  // Serves the stream's requests as `call` says (token, deadline, lane);
  // when `refusal` is not OK (no token, overload) the stream ends at once
  // with it. `archiver` and `streams` must outlive the stream; `on_finished`
  // runs once, when gRPC is done with it.
  ArchiveStreamReactor(grpc::CallbackServerContext& context, AssociationsArchiver& archiver,
                       ArchiveStreams& streams, ArchiveCallContext call, absl::Status refusal,
                       OnFinished on_finished, StreamLimits limits = StreamLimits());

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  friend class ArchiveStreams;
  enum class Next { kNothing, kWrite, kFinish };

  // A finished request not yet (entirely) written: its errors still to send.
  struct Finished {
    uint64_t position = 0;
    std::deque<hubspot::crm::associations::v1::StandardError> errors;
  };

  void Archive(
      std::shared_ptr<const hubspot::crm::associations::v1::ArchiveAssociationsRequest> request);
  void OnArchived(uint64_t position,
                  const hubspot::crm::associations::v1::ArchiveAssociationsRequest& request,
                  const absl::StatusOr<hubspot::crm::associations::v1::BatchResult>& result,
                  const UpstreamSummary& summary);
  // Stops reading, ends the stream with `why` once what was read is
  // acknowledged (unless it already ends otherwise).
  void Stop(absl::Status why);
  // For ArchiveStreams: Stop with UNAVAILABLE.
  void Drain();
  // For ArchiveStreams: Stop with DEADLINE_EXCEEDED if idle since `idle_since`;
  // cancel the call if, besides, the caller has read no progress since then
  // (its pending write would otherwise keep the stream open for ever).
  void EndIfIdleSince(absl::Time idle_since);
  // Whether another read may start now; marks it started.
  bool ClaimRead() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // What to do next on the stream; prepares `writing_` for kWrite.
  Next Decide() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fills `progress` with what waits to be written, within the limits.
  void TakeUnsent(hubspot::crm::associations::v1::ArchiveProgress& progress)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Carries out a decision (and starts a read if `read`), outside the lock.
  void Carry(Next next, bool read = false);

  // Valid until OnDone; used only to cancel a stream whose caller stopped reading.
  grpc::CallbackServerContext& context_;
  AssociationsArchiver& archiver_;
  ArchiveStreams& streams_;
  const ArchiveCallContext call_;
  const StreamLimits limits_;
  OnFinished on_finished_;

  absl::Mutex mu_;
  // The buffer of the read under way. Not under mu_: only the one read in
  // flight (read_pending_) touches it, from StartRead to its OnReadDone.
  grpc::ByteBuffer reading_;
  // The message of the write under way. Not under mu_: Decide fills it (under
  // mu_) only while no write is pending, and gRPC reads it until OnWriteDone.
  grpc::ByteBuffer writing_;
  // Requests read so far; each one's position on the stream.
  uint64_t requests_read_ ABSL_GUARDED_BY(mu_) = 0;
  // How to cancel each request being archived, by position.
  absl::flat_hash_map<uint64_t, ArchiveCancellation> archiving_ ABSL_GUARDED_BY(mu_);
  bool read_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool write_pending_ ABSL_GUARDED_BY(mu_) = false;
  // When the write under way started.
  absl::Time write_started_ ABSL_GUARDED_BY(mu_);
  bool final_written_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // Why reading stopped before the caller finished writing (drain, an
  // undecodable message, idleness); the stream ends with it.
  absl::Status stopped_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // When the stream last read a request or finished its last one in flight.
  absl::Time last_active_ ABSL_GUARDED_BY(mu_);
  StreamSummary summary_ ABSL_GUARDED_BY(mu_);
  // Requests finished but not yet acknowledged in a write, oldest first, and
  // the bytes they hold.
  std::deque<Finished> unsent_ ABSL_GUARDED_BY(mu_);
  int64_t unsent_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool progress_changed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ARCHIVE_STREAM_REACTOR_H_
