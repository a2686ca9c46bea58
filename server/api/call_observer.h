// CallObserver hears when gRPC calls start and finish, so metrics can count
// them without the gRPC layer depending on a metrics library. The base class
// ignores everything; implementations must be thread-safe and must not block.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALL_OBSERVER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALL_OBSERVER_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hubspot_gateway {

class CallObserver {
 public:
  virtual ~CallObserver() = default;
  // A call arrived (before admission or authentication).
  virtual void OnCallStarted() {}
  // A call finished with `code` after `latency`; its inputs split into
  // archived and failed.
  virtual void OnCallFinished(absl::string_view /*method*/, absl::StatusCode /*code*/,
                              absl::Duration /*latency*/, int /*inputs_archived*/,
                              int /*inputs_failed*/) {}
  // A unary request of `method` could not be decoded (not protobuf, or a
  // string that is not UTF-8); it never reached the service.
  virtual void OnUndecodableRequest(absl::string_view /*method*/) {}
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALL_OBSERVER_H_
