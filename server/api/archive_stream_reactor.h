// ArchiveStreamReactor serves one ArchiveAssociationsStream: it reads a
// request, hands it to the AssociationsArchiver, and reads the next only
// while fewer than `max_requests_in_flight` are being archived, so the stream
// moves as fast as HubSpot's rate budget allows and memory stays bounded
// whatever the total. Progress is written as requests finish, coalesced while
// a write is under way; the last message has `done` and the totals.
// Owned by gRPC: deletes itself in OnDone. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ARCHIVE_STREAM_REACTOR_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ARCHIVE_STREAM_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/dispatch/associations_archiver.h"

namespace hubspot_gateway {

// What a finished stream did, for its log line and metrics.
struct StreamSummary {
  absl::Status status;
  int64_t inputs_received = 0;
  int64_t inputs_archived = 0;
  int64_t inputs_failed = 0;
  int64_t upstream_requests = 0;
};

class ArchiveStreamReactor final
    : public grpc::ServerBidiReactor<hubspot::crm::associations::v1::ArchiveAssociationsRequest,
                                     hubspot::crm::associations::v1::ArchiveProgress> {
 public:
  using OnFinished = absl::AnyInvocable<void(const StreamSummary&) &&>;

  // Serves the stream's requests as `call` says (token, deadline, lane);
  // when `refusal` is not OK (no token, overload) the stream ends at once
  // with it. `archiver` must outlive the stream; `on_finished` runs once,
  // when gRPC is done with it.
  ArchiveStreamReactor(AssociationsArchiver& archiver, ArchiveCallContext call,
                       absl::Status refusal, OnFinished on_finished);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  enum class Next { kNothing, kWrite, kFinish };

  void Archive(
      std::shared_ptr<const hubspot::crm::associations::v1::ArchiveAssociationsRequest> request);
  void OnArchived(uint64_t position,
                  const hubspot::crm::associations::v1::ArchiveAssociationsRequest& request,
                  const absl::StatusOr<hubspot::crm::associations::v1::BatchResult>& result,
                  const UpstreamSummary& summary);
  // Whether another read may start now; marks it started.
  bool ClaimRead() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // What to do next on the stream; prepares `writing_` for kWrite.
  Next Decide() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Carries out a decision, outside the lock.
  void Carry(Next next);

  AssociationsArchiver& archiver_;
  const ArchiveCallContext call_;
  const int max_requests_in_flight_;
  OnFinished on_finished_;

  absl::Mutex mu_;
  // The buffer of the read under way. Not under mu_: only the one read in
  // flight (read_pending_) touches it, from StartRead to its OnReadDone.
  std::unique_ptr<hubspot::crm::associations::v1::ArchiveAssociationsRequest> reading_;
  // The message of the write under way. Not under mu_: Decide fills it (under
  // mu_) only while no write is pending, and gRPC reads it until OnWriteDone.
  hubspot::crm::associations::v1::ArchiveProgress writing_;
  // Requests read so far; each one's position on the stream.
  uint64_t requests_read_ ABSL_GUARDED_BY(mu_) = 0;
  // How to cancel each request being archived, by position.
  absl::flat_hash_map<uint64_t, ArchiveCancellation> archiving_ ABSL_GUARDED_BY(mu_);
  bool read_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool write_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool final_written_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  StreamSummary summary_ ABSL_GUARDED_BY(mu_);
  // Errors finished since the last write, and whether anything changed.
  std::vector<hubspot::crm::associations::v1::StandardError> new_errors_ ABSL_GUARDED_BY(mu_);
  bool progress_changed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ARCHIVE_STREAM_REACTOR_H_
