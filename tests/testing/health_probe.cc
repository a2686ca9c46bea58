#include "tests/testing/health_probe.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace hubspot_gateway::testing {

Probe ProbeHealth(int port, const std::string& service) {
  grpc::ChannelArguments fresh_connection;
  fresh_connection.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto health = grpc::health::v1::Health::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(), fresh_connection));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (!health->Check(&context, request, &response).ok()) return Probe::kRefused;
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? Probe::kServing
                                                                             : Probe::kNotServing;
}

}  // namespace hubspot_gateway::testing
