// GrpcLogRoute sends the gRPC library's own log lines (gpr_log: ERROR only by
// default, more with GRPC_VERBOSITY) through the gateway's Logger, as event
// "grpc" with the source file and line, so stderr holds only the gateway's
// format. Each is written at once on gRPC's thread (Logger::LogNow): gRPC
// logs a failed assertion right before abort().
// One route at a time (gRPC has one log function); destroying it gives gRPC
// back its default output, after any line being written is out.
// Thread-safe: gRPC may log from any thread.
//
//   const Logger logger(LogFormat::kJson);
//   const GrpcLogRoute route(logger);  // declared after the logger it uses
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_GRPC_LOG_ROUTE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_GRPC_LOG_ROUTE_H_

#include "server/common/log.h"

namespace hubspot_gateway {

class GrpcLogRoute {
 public:
  // `logger` must outlive the route.
  explicit GrpcLogRoute(const Logger& logger);
  ~GrpcLogRoute();
  GrpcLogRoute(const GrpcLogRoute&) = delete;
  GrpcLogRoute& operator=(const GrpcLogRoute&) = delete;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_GRPC_LOG_ROUTE_H_
