// One log line per finished call, written to stderr in a single write so lines
// from concurrent calls never interleave. Never pass a token in. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_CALL_LOG_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_CALL_LOG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hubspot_gateway {

struct CallLogEntry {
  absl::string_view method;
  absl::string_view from_object_type;
  absl::string_view to_object_type;
  int inputs = 0;
  int upstream_requests = 0;
  int retries = 0;
  int upstream_http_status = 0;
  absl::string_view correlation_id;
  absl::StatusCode code = absl::StatusCode::kOk;
  absl::string_view message;
  absl::Duration latency;
};

// "call method=... from=... to=... inputs=N upstream_requests=N retries=N
//  http_status=N correlation_id=... code=OK latency_ms=1.234 [message="..."]"
std::string FormatCallLogLine(const CallLogEntry& entry);

void LogCall(const CallLogEntry& entry);

// A lifecycle line ("gateway: listening on ...") in the same single-write way.
void LogLine(absl::string_view line);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_CALL_LOG_H_
