#include "server/api/undecodable_request_interceptor.h"

#include <grpcpp/server_context.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace hubspot_gateway {
namespace {

using grpc::experimental::InterceptionHookPoints;

class UndecodableRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  UndecodableRequestInterceptor(grpc::experimental::ServerRpcInfo* info, const Logger& logger,
                                CallObserver& observer)
      : info_(info), logger_(logger), observer_(observer) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // A unary call's request arrives with the call: gRPC hands the
    // interceptor a null message when decoding it failed.
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      undecodable_ = true;
      const absl::string_view method = MethodName();
      logger_.Log(LogLevel::kWarning, absl::StrCat("undecodable request: method=", method,
                                                   " peer=", info_->server_context()->peer()));
      observer_.OnUndecodableRequest(method);
    }
    if (undecodable_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      methods->ModifySendStatus(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("the ", MethodName(),
                       " request could not be decoded: it is not a valid protobuf message of "
                       "the method's type, or a string field is not valid UTF-8")));
    }
    methods->Proceed();
  }

 private:
  // The method's own name, without the service ("ArchiveAssociations").
  absl::string_view MethodName() const {
    const absl::string_view full = info_->method();
    const size_t slash = full.rfind('/');
    return slash == absl::string_view::npos ? full : full.substr(slash + 1);
  }

  grpc::experimental::ServerRpcInfo* const info_;
  const Logger& logger_;
  CallObserver& observer_;
  bool undecodable_ = false;
};

}  // namespace

grpc::experimental::Interceptor* UndecodableRequestInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  if (info->type() != grpc::experimental::ServerRpcInfo::Type::UNARY) return nullptr;
  return new UndecodableRequestInterceptor(info, logger_, observer_);
}

}  // namespace hubspot_gateway
