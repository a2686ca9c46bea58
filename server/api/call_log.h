// The call log: one line per finished gRPC call (event "call"), through the
// gateway's Logger (server/common/log.h), with its level chosen by the gRPC
// code. Never put a token in an entry. Pure functions: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALL_LOG_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALL_LOG_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/common/log.h"

namespace hubspot_gateway {

struct CallLogEntry {
  absl::string_view method;
  absl::string_view request_id;
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

// INFO for OK and CANCELLED (the caller left); ERROR when the gateway or
// HubSpot failed the call (INTERNAL, UNKNOWN, DATA_LOSS, UNIMPLEMENTED,
// UNAVAILABLE); WARNING for every other refusal.
LogLevel CallLogLevel(absl::StatusCode code);

// The line of `entry` (a view into it): event "call" with method,
// request_id, from, to, inputs, upstream_requests, retries, http_status,
// correlation_id, code, latency_ms, and the failure's message.
LogRecord CallLogRecord(const CallLogEntry& entry);

// Logs `entry`'s line; never blocks.
void LogCall(const Logger& logger, const CallLogEntry& entry);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALL_LOG_H_
