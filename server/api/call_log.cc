#include "server/api/call_log.h"

namespace hubspot_gateway {

LogLevel CallLogLevel(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kCancelled:
      return LogLevel::kInfo;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kUnavailable:
      return LogLevel::kError;
    default:
      return LogLevel::kWarning;
  }
}

LogRecord CallLogRecord(const CallLogEntry& entry) {
  return {CallLogLevel(entry.code),
          "call",
          {{"method", entry.method},
           {"request_id", entry.request_id},
           {"from", entry.from_object_type},
           {"to", entry.to_object_type},
           {"inputs", entry.inputs},
           {"upstream_requests", entry.upstream_requests},
           {"retries", entry.retries},
           {"http_status", entry.upstream_http_status},
           {"correlation_id", entry.correlation_id},
           {"code", absl::StatusCodeToString(entry.code)},
           {"latency_ms", absl::ToDoubleMilliseconds(entry.latency)}},
          entry.message};
}

void LogCall(const Logger& logger, const CallLogEntry& entry) { logger.Log(CallLogRecord(entry)); }

}  // namespace hubspot_gateway
