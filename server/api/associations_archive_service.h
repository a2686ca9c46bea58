// The AssociationsArchive gRPC service on gRPC's callback API (both unary
// calls, ArchiveAssociations and ArchiveAssociationLabels, share one path): resolves the
// call's HubSpot token and lane (unary calls interactive, streams bulk, unless
// `x-archive-priority` says otherwise), applies the in-flight limit, hands the
// call to the AssociationsArchiver, passes a cancellation on, and finishes the
// reactor when it answers; no thread waits for HubSpot. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ASSOCIATIONS_ARCHIVE_SERVICE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ASSOCIATIONS_ARCHIVE_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hubspot/crm/associations/v1/associations_archive.grpc.pb.h"
#include "server/api/archive_stream_reactor.h"
#include "server/api/archive_streams.h"
#include "server/api/call_observer.h"
#include "server/api/caller_auth.h"
#include "server/api/stream_share.h"
#include "server/archive/associations_archiver.h"
#include "server/common/log.h"

namespace hubspot_gateway {

// The caller's `x-request-id` metadata when it is 1-128 visible ASCII
// characters; std::nullopt otherwise (the service then makes one up).
std::optional<std::string> RequestIdFromMetadata(const CallMetadata& metadata);

// The lane a call asks for in its `x-archive-priority` metadata
// ("interactive" or "bulk"); `default_lane` without it; INVALID_ARGUMENT for
// anything else.
absl::StatusOr<Lane> LaneFromMetadata(const CallMetadata& metadata, Lane default_lane);

struct ServiceOptions {
  CallerAuth auth = CallerAuth::Passthrough();
  // Calls beyond this many in flight are refused with RESOURCE_EXHAUSTED.
  int max_in_flight_calls = 10000;
  // Inputs one unary call may carry (so its BatchResult stays well under
  // gRPC's default 4 MiB message limit); larger jobs belong on the stream.
  int max_inputs_per_call = 10000;
  // Streams one caller (one network address) may hold open, so that idle
  // streams of one caller cannot take every one of the call slots above.
  int max_streams_per_caller = 1000;
  // A stream with no request read and none in flight this long is ended.
  absl::Duration stream_idle_timeout = absl::Minutes(5);
};

// The generated service with the stream on raw bytes: its reactor decodes
// each request itself, so it can tell a message it cannot decode from the end
// of the stream.
using AssociationsArchiveBase =
    hubspot::crm::associations::v1::AssociationsArchive::WithCallbackMethod_ArchiveAssociations<
        hubspot::crm::associations::v1::AssociationsArchive::
            WithCallbackMethod_ArchiveAssociationLabels<
                hubspot::crm::associations::v1::AssociationsArchive::
                    WithRawCallbackMethod_ArchiveAssociationsStream<
                        hubspot::crm::associations::v1::AssociationsArchive::Service>>>;

class AssociationsArchiveService final : public AssociationsArchiveBase {
 public:
  // `archiver`, `logger` and `observer` must outlive the service.
  AssociationsArchiveService(ServiceOptions options, AssociationsArchiver& archiver,
                             const Logger& logger, CallObserver& observer);

  grpc::ServerUnaryReactor* ArchiveAssociations(
      grpc::CallbackServerContext* context,
      const hubspot::crm::associations::v1::ArchiveAssociationsRequest* request,
      hubspot::crm::associations::v1::BatchResult* response) override;

  grpc::ServerUnaryReactor* ArchiveAssociationLabels(
      grpc::CallbackServerContext* context,
      const hubspot::crm::associations::v1::ArchiveAssociationLabelsRequest* request,
      hubspot::crm::associations::v1::BatchResult* response) override;

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ArchiveAssociationsStream(
      grpc::CallbackServerContext* context) override;

  int in_flight_calls() const { return in_flight_calls_.load(); }

  // At shutdown: every open stream stops reading, acknowledges what it read
  // once finished, and ends with UNAVAILABLE; new streams are refused so.
  void DrainStreams() { streams_.Drain(); }

 private:
  template <typename Request>
  using StartFn = ArchiveCancellation (AssociationsArchiver::*)(const Request&, ArchiveCallContext,
                                                                AssociationsArchiver::Done);

  // One unary call logged as `method`: admission, request id, token, lane and
  // deadline, then `start` on the archiver; the answer, the call log line and
  // the metrics when it finishes. `request` and `response` are gRPC's.
  template <typename Request>
  grpc::ServerUnaryReactor* Unary(absl::string_view method, grpc::CallbackServerContext* context,
                                  const Request* request,
                                  hubspot::crm::associations::v1::BatchResult* response,
                                  StartFn<Request> start);
  // The call's token (per the auth mode), deadline and lane.
  absl::StatusOr<ArchiveCallContext> CallContextFor(const grpc::CallbackServerContext& context,
                                                    Lane default_lane) const;
  // The caller's x-request-id, or "gw-<process prefix>-<sequence>".
  std::string RequestIdFor(const grpc::CallbackServerContext& context);
  // Counts a new call in flight; RESOURCE_EXHAUSTED (and not counted) when
  // the gateway is at --max_in_flight_calls.
  absl::Status Admit();

  const ServiceOptions options_;
  AssociationsArchiver& archiver_;
  const Logger& logger_;
  CallObserver& observer_;
  const std::string request_id_prefix_;
  std::atomic<uint64_t> next_request_id_{0};
  std::atomic<int> in_flight_calls_{0};
  StreamShare stream_share_;
  // The open streams, on the archiver's clock.
  ArchiveStreams streams_;
  const ArchiveStreamReactor::Dependencies stream_dependencies_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ASSOCIATIONS_ARCHIVE_SERVICE_H_
