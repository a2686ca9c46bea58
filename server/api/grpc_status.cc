#include "server/api/grpc_status.h"

#include <string>

#include "google/rpc/status.pb.h"
#include "server/hubspot/upstream_error_status.h"

namespace hubspot_gateway {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message(status.message());
  const auto upstream = GetUpstreamError(status);
  if (!upstream.has_value()) return grpc::Status(code, message);
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(code));
  rich.set_message(message);
  rich.add_details()->PackFrom(*upstream);
  return grpc::Status(code, message, rich.SerializeAsString());
}

}  // namespace hubspot_gateway
