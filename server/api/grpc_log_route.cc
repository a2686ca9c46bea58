#include "server/api/grpc_log_route.h"

#include <grpc/support/log.h>
#include <unistd.h>

#include <string>

#include "absl/base/const_init.h"
#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace hubspot_gateway {
namespace {

ABSL_CONST_INIT absl::Mutex route_mu(absl::kConstInit);
const Logger* route_logger ABSL_GUARDED_BY(route_mu) = nullptr;

void LogThroughRoute(gpr_log_func_args* args) {
  absl::ReaderMutexLock lock(&route_mu);
  if (route_logger == nullptr) {
    // The route was just destroyed while gRPC was switching back.
    const std::string line = absl::StrCat("grpc: ", args->message, "\n");
    (void)!write(STDERR_FILENO, line.data(), line.size());
    return;
  }
  route_logger->LogNow(
      {args->severity == GPR_LOG_SEVERITY_ERROR ? LogLevel::kError : LogLevel::kInfo,
       "grpc",
       {{"file", args->file == nullptr ? "" : args->file}, {"line", args->line}},
       args->message == nullptr ? "" : args->message});
}

}  // namespace

GrpcLogRoute::GrpcLogRoute(const Logger& logger) {
  {
    absl::MutexLock lock(&route_mu);
    route_logger = &logger;
  }
  gpr_set_log_function(LogThroughRoute);
}

GrpcLogRoute::~GrpcLogRoute() {
  gpr_set_log_function(nullptr);
  absl::MutexLock lock(&route_mu);
  route_logger = nullptr;
}

}  // namespace hubspot_gateway
