// ReflectionV1Service: gRPC server reflection v1 (grpc.reflection.v1), which
// `buf curl`, grpcurl and Postman try first. gRPC 1.51 (Debian 12) ships only
// v1alpha (its reflection plugin, which the gateway also enables), so this
// answers v1 from the same source, the process's generated descriptor pool:
// every service linked in with generated C++ code (the archive service,
// grpc.health.v1 through HealthService, and this one) can be described.
// AnswerReflection is the whole protocol as a pure function; the service runs
// it per message on each stream. Thread-safe; each stream's reactor is owned
// by gRPC (deleted in OnDone).
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_REFLECTION_V1_SERVICE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_REFLECTION_V1_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "google/protobuf/descriptor.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"

namespace hubspot_gateway {

// The answer to one reflection question. `services`: the full names to list.
// `files_sent`: the files already sent on this stream, which are left out of
// later answers (the protocol allows it) and to which this answer's are
// added. Unknown names and files are NOT_FOUND error responses.
grpc::reflection::v1::ServerReflectionResponse AnswerReflection(
    const google::protobuf::DescriptorPool& pool, const std::vector<std::string>& services,
    const grpc::reflection::v1::ServerReflectionRequest& request,
    absl::flat_hash_set<std::string>& files_sent);

class ReflectionV1Service final : public grpc::reflection::v1::ServerReflection::CallbackService {
 public:
  // Answers from the generated pool, listing `services` (full names).
  explicit ReflectionV1Service(std::vector<std::string> services);

  grpc::ServerBidiReactor<grpc::reflection::v1::ServerReflectionRequest,
                          grpc::reflection::v1::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override;

 private:
  const std::vector<std::string> services_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_REFLECTION_V1_SERVICE_H_
