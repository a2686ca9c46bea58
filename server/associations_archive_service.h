// The AssociationsArchive gRPC service on gRPC's callback API: resolves the
// call's HubSpot token, applies the in-flight limit, hands the call to the
// AssociationsArchiver and finishes the reactor when it answers; no thread
// waits for HubSpot. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_ASSOCIATIONS_ARCHIVE_SERVICE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_ASSOCIATIONS_ARCHIVE_SERVICE_H_

#include <atomic>
#include <map>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hubspot/crm/associations/v1/associations_archive.grpc.pb.h"
#include "absl/types/optional.h"
#include "server/associations_archiver.h"
#include "server/call_log.h"
#include "server/gateway_metrics.h"
#include "server/gateway_config.h"

namespace hubspot_gateway {

// The caller's `x-request-id` metadata when it is 1-128 visible ASCII
// characters; absl::nullopt otherwise (the service then makes one up).
absl::optional<std::string> RequestIdFromMetadata(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

// The token in an `authorization` metadata value "Bearer <token>" (the scheme
// is case-insensitive); UNAUTHENTICATED when absent or malformed.
absl::StatusOr<std::string> BearerTokenFromMetadata(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

class AssociationsArchiveService final
    : public hubspot::crm::associations::v1::AssociationsArchive::CallbackService {
 public:
  // `config`, `archiver`, `logger` and `metrics` must outlive the service.
  AssociationsArchiveService(const GatewayConfig& config, AssociationsArchiver& archiver,
                             const CallLogger& logger, GatewayMetrics& metrics);

  grpc::ServerUnaryReactor* ArchiveAssociations(
      grpc::CallbackServerContext* context,
      const hubspot::crm::associations::v1::ArchiveAssociationsRequest* request,
      hubspot::crm::associations::v1::BatchResult* response) override;

  grpc::ServerBidiReactor<hubspot::crm::associations::v1::ArchiveAssociationsRequest,
                          hubspot::crm::associations::v1::ArchiveProgress>*
  ArchiveAssociationsStream(grpc::CallbackServerContext* context) override;

  int in_flight_calls() const { return in_flight_calls_.load(); }

 private:
  absl::StatusOr<std::string> TokenFor(const grpc::CallbackServerContext& context) const;
  // The caller's x-request-id, or "gw-<process prefix>-<sequence>".
  std::string RequestIdFor(const grpc::CallbackServerContext& context);
  // Counts a new call in flight; RESOURCE_EXHAUSTED (and not counted) when
  // the gateway is at --max_in_flight_calls.
  absl::Status Admit();

  const GatewayConfig& config_;
  AssociationsArchiver& archiver_;
  const CallLogger& logger_;
  GatewayMetrics& metrics_;
  const std::string request_id_prefix_;
  std::atomic<uint64_t> next_request_id_{0};
  std::atomic<int> in_flight_calls_{0};
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_ASSOCIATIONS_ARCHIVE_SERVICE_H_
