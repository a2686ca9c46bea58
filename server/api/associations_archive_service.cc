#include "server/api/associations_archive_service.h"

#include <utility>

#include "absl/algorithm/container.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/api/archive_stream_reactor.h"
#include "server/api/call_log.h"
#include "server/api/caller_flow.h"
#include "server/api/grpc_status.h"
#include "server/api/result_fitting.h"
#include "server/hubspot/batch_merge.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

std::optional<std::string> RequestIdFromMetadata(const CallMetadata& metadata) {
  constexpr size_t kMaxRequestIdLength = 128;
  auto it = metadata.find("x-request-id");
  if (it == metadata.end()) return std::nullopt;
  const absl::string_view value(it->second.data(), it->second.size());
  if (value.empty() || value.size() > kMaxRequestIdLength ||
      !absl::c_all_of(value, absl::ascii_isgraph)) {
    return std::nullopt;
  }
  return std::string(value);
}

namespace {

// `failure` with " [request_id ...]" appended to its message (payloads kept),
// which ties a caller's error to the gateway's log line. OK stays OK.
absl::Status WithRequestId(const absl::Status& failure, absl::string_view request_id) {
  if (failure.ok()) return failure;
  absl::Status tagged(failure.code(),
                      absl::StrCat(failure.message(), " [request_id ", request_id, "]"));
  failure.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    tagged.SetPayload(type_url, payload);
  });
  return tagged;
}

// A unary call's reactor: passes gRPC's cancellation (the caller left, or its
// deadline passed) on to the archiver, even when it comes before the call
// started archiving. Deletes itself when gRPC is done with it.
class CancellableUnaryReactor final : public grpc::ServerUnaryReactor {
 public:
  void SetCancellation(ArchiveCancellation cancellation) {
    bool cancel_now = false;
    {
      absl::MutexLock lock(&mu_);
      cancellation_ = cancellation;
      cancel_now = cancelled_;
    }
    if (cancel_now) cancellation.Cancel();
  }

  void OnCancel() override {
    ArchiveCancellation cancellation;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      cancellation = cancellation_;
    }
    cancellation.Cancel();
  }

  void OnDone() override { delete this; }

 private:
  absl::Mutex mu_;
  ArchiveCancellation cancellation_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

absl::StatusOr<Lane> LaneFromMetadata(const CallMetadata& metadata, Lane default_lane) {
  auto it = metadata.find("x-archive-priority");
  if (it == metadata.end()) return default_lane;
  Lane lane;
  if (!ParseLane(absl::string_view(it->second.data(), it->second.size()), &lane)) {
    return absl::InvalidArgumentError(
        "the 'x-archive-priority' metadata must be 'interactive' or 'bulk'");
  }
  return lane;
}

absl::StatusOr<ArchiveCallContext> AssociationsArchiveService::CallContextFor(
    const grpc::CallbackServerContext& context, Lane default_lane) const {
  ArchiveCallContext call;
  absl::StatusOr<std::string> token = options_.auth.TokenFor(context.client_metadata());
  if (!token.ok()) return token.status();
  call.token = *std::move(token);
  absl::StatusOr<Lane> lane = LaneFromMetadata(context.client_metadata(), default_lane);
  if (!lane.ok()) return lane.status();
  call.lane = *lane;
  call.deadline = absl::FromChrono(context.deadline());
  CallerIdentity identity;
  identity.caller = options_.auth.CallerFor(context.client_metadata());
  identity.peer = context.peer();
  if (std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
      auth != nullptr && auth->IsPeerAuthenticated()) {
    const std::vector<grpc::string_ref> names = auth->GetPeerIdentity();
    if (!names.empty()) identity.mtls_identity.assign(names.front().data(), names.front().size());
  }
  absl::StatusOr<std::string> flow = CallerFlow(identity, context.client_metadata());
  if (!flow.ok()) return flow.status();
  call.flow.name = *std::move(flow);
  if (identity.caller != nullptr && identity.caller->policy != nullptr) {
    call.policy = identity.caller->policy;
    call.flow.weight = call.policy->weight;
    call.flow.max_share = call.policy->max_share;
  }
  return call;
}

AssociationsArchiveService::AssociationsArchiveService(ServiceOptions options,
                                                       AssociationsArchiver& archiver,
                                                       const Logger& logger, CallObserver& observer)
    : options_(std::move(options)),
      archiver_(archiver),
      logger_(logger),
      observer_(observer),
      request_id_prefix_(absl::StrFormat("gw-%08x-", absl::Uniform<uint32_t>(absl::BitGen()))),
      stream_share_(options_.max_streams_per_caller),
      streams_(archiver.scheduler(), options_.stream_idle_timeout),
      stream_dependencies_{archiver, streams_, StreamLimits()} {}

std::string AssociationsArchiveService::RequestIdFor(const grpc::CallbackServerContext& context) {
  std::optional<std::string> from_caller = RequestIdFromMetadata(context.client_metadata());
  if (from_caller.has_value()) return *std::move(from_caller);
  return absl::StrCat(request_id_prefix_, next_request_id_.fetch_add(1));
}

absl::Status AssociationsArchiveService::Admit() {
  if (in_flight_calls_.fetch_add(1) < options_.max_in_flight_calls) return absl::OkStatus();
  in_flight_calls_.fetch_sub(1);
  return absl::ResourceExhaustedError(absl::StrCat("the gateway is at its limit of ",
                                                   options_.max_in_flight_calls,
                                                   " calls in flight; retry with backoff"));
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
AssociationsArchiveService::ArchiveAssociationsStream(grpc::CallbackServerContext* context) {
  const absl::Time start = absl::Now();
  observer_.OnCallStarted();
  std::string request_id = RequestIdFor(*context);
  context->AddInitialMetadata("x-request-id", request_id);
  absl::Status refusal = Admit();
  const bool counted = refusal.ok();
  std::optional<StreamShare::Slot> slot;
  if (refusal.ok()) {
    absl::StatusOr<StreamShare::Slot> acquired =
        stream_share_.Acquire(CallerOfPeer(context->peer()));
    refusal = acquired.status();
    if (acquired.ok()) slot.emplace(*std::move(acquired));
  }
  absl::StatusOr<ArchiveCallContext> call = ArchiveCallContext();
  if (refusal.ok()) {
    call = CallContextFor(*context, Lane::kBulk);
    refusal = call.status();
  }
  refusal = WithRequestId(refusal, request_id);
  // The stream keeps its slot of the caller's share until it is done.
  auto on_finished = [this, start, request_id, counted,
                      slot = std::move(slot)](const StreamSummary& summary) {
    CallLogEntry entry;
    entry.method = "ArchiveAssociationsStream";
    entry.request_id = request_id;
    entry.inputs = static_cast<int>(summary.inputs_received);
    entry.upstream_requests = static_cast<int>(summary.upstream_requests);
    entry.code = summary.status.code();
    entry.message = summary.status.message();
    entry.latency = absl::Now() - start;
    LogCall(logger_, entry);
    observer_.OnCallFinished(entry.method, entry.code, entry.latency,
                             static_cast<int>(summary.inputs_archived),
                             static_cast<int>(summary.inputs_failed));
    if (counted) in_flight_calls_.fetch_sub(1);
  };
  return new ArchiveStreamReactor(*context, stream_dependencies_,
                                  call.ok() ? *std::move(call) : ArchiveCallContext(),
                                  std::move(refusal), std::move(on_finished));
}

template <typename Request>
grpc::ServerUnaryReactor* AssociationsArchiveService::Unary(absl::string_view method,
                                                            grpc::CallbackServerContext* context,
                                                            const Request* request,
                                                            v1::BatchResult* response,
                                                            StartFn<Request> start) {
  auto* reactor = new CancellableUnaryReactor();
  const absl::Time start_time = absl::Now();
  observer_.OnCallStarted();
  std::string request_id = RequestIdFor(*context);
  context->AddInitialMetadata("x-request-id", request_id);
  auto finish = [this, method, reactor, request, response, start_time, request_id](
                    absl::StatusOr<v1::BatchResult> result, const UpstreamSummary& summary,
                    bool counted) {
    CallLogEntry entry;
    entry.method = method;
    entry.request_id = request_id;
    entry.from_object_type = request->from_object_type();
    entry.to_object_type = request->to_object_type();
    entry.inputs = request->inputs_size();
    entry.upstream_requests = summary.requests;
    entry.retries = summary.retries;
    entry.upstream_http_status = summary.last_http_status;
    entry.correlation_id = summary.last_correlation_id;
    entry.code = result.status().code();
    entry.message = result.status().message();
    entry.latency = absl::Now() - start_time;
    LogCall(logger_, entry);
    const int failed = FailedInputs(*request, result);
    observer_.OnCallFinished(entry.method, entry.code, entry.latency,
                             request->inputs_size() - failed, failed);
    if (counted) in_flight_calls_.fetch_sub(1);
    if (result.ok()) {
      *response = *std::move(result);
      if (!FitBatchResult(kMaxUnaryResultBytes, *response)) {
        logger_.Log(LogLevel::kWarning,
                    absl::StrCat("request_id=", request_id, ": the result's ids alone exceed ",
                                 kMaxUnaryResultBytes, " bytes; default clients cannot read it"));
      }
      reactor->Finish(grpc::Status::OK);
      return;
    }
    reactor->Finish(ToGrpcStatus(WithRequestId(result.status(), request_id)));
  };

  if (absl::Status admitted = Admit(); !admitted.ok()) {
    finish(admitted, UpstreamSummary{}, /*counted=*/false);
    return reactor;
  }
  if (request->inputs_size() > options_.max_inputs_per_call) {
    finish(absl::InvalidArgumentError(absl::StrCat(
               "inputs: a unary call takes at most ", options_.max_inputs_per_call,
               " inputs (--max_inputs_per_call), this one has ", request->inputs_size(),
               "; send larger jobs on ArchiveAssociationsStream or in several calls")),
           UpstreamSummary{}, /*counted=*/true);
    return reactor;
  }
  absl::StatusOr<ArchiveCallContext> call = CallContextFor(*context, Lane::kInteractive);
  if (!call.ok()) {
    finish(call.status(), UpstreamSummary{}, /*counted=*/true);
    return reactor;
  }
  reactor->SetCancellation((archiver_.*start)(
      *request, *std::move(call),
      [finish](absl::StatusOr<v1::BatchResult> result, const UpstreamSummary& summary) mutable {
        finish(std::move(result), summary, /*counted=*/true);
      }));
  return reactor;
}

grpc::ServerUnaryReactor* AssociationsArchiveService::ArchiveAssociations(
    grpc::CallbackServerContext* context, const v1::ArchiveAssociationsRequest* request,
    v1::BatchResult* response) {
  return Unary("ArchiveAssociations", context, request, response, &AssociationsArchiver::Archive);
}

grpc::ServerUnaryReactor* AssociationsArchiveService::ArchiveAssociationLabels(
    grpc::CallbackServerContext* context, const v1::ArchiveAssociationLabelsRequest* request,
    v1::BatchResult* response) {
  return Unary("ArchiveAssociationLabels", context, request, response,
               &AssociationsArchiver::ArchiveLabels);
}

}  // namespace hubspot_gateway
