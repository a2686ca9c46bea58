// Converts the gateway's absl::Status into the grpc::Status a caller receives:
// same code and message, and, when the status carries an UpstreamError, a
// google.rpc.Status with it packed in `details` (grpc-status-details-bin), so
// callers in any language can read HubSpot's error. Both are sized for
// default clients (gRPC's 8 KiB metadata limit): the message is cut at
// kMaxStatusMessageBytes and the detail at kMaxStatusDetailBytes, each saying
// what was left out. Pure: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_GRPC_STATUS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace hubspot_gateway {

inline constexpr size_t kMaxStatusMessageBytes = 1024;
inline constexpr size_t kMaxStatusDetailBytes = 4096;

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_GRPC_STATUS_H_
