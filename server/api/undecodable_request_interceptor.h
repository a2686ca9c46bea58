// Notices unary requests that gRPC could not decode into their protobuf
// message (bytes that are not protobuf, a string that is not UTF-8). gRPC's
// callback API answers those UNIMPLEMENTED with an empty message before the
// service sees them; this interceptor logs each one with the caller's
// address, counts it, and answers INVALID_ARGUMENT saying what was wrong.
// The factory is thread-safe; gRPC makes one interceptor per unary call.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_UNDECODABLE_REQUEST_INTERCEPTOR_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_UNDECODABLE_REQUEST_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include "server/api/call_observer.h"
#include "server/common/log.h"

namespace hubspot_gateway {

class UndecodableRequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `logger` and `observer` must outlive the server.
  UndecodableRequestInterceptorFactory(const Logger& logger, CallObserver& observer)
      : logger_(logger), observer_(observer) {}

  // An interceptor for unary calls; none (nullptr) for streams, whose reactor
  // decodes each message itself and ends the stream INVALID_ARGUMENT on one
  // it cannot decode.
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  const Logger& logger_;
  CallObserver& observer_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_UNDECODABLE_REQUEST_INTERCEPTOR_H_
