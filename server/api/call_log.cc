#include "server/api/call_log.h"

#include <unistd.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace hubspot_gateway {
namespace {

// Caller-supplied text, escaped so it cannot break the line; "-" when empty.
std::string Field(absl::string_view value) { return value.empty() ? "-" : absl::CHexEscape(value); }

std::string Json(const nlohmann::json& object) {
  // Invalid UTF-8 from a caller becomes U+FFFD instead of an exception.
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

bool AbslParseFlag(absl::string_view text, LogFormat* format, std::string* error) {
  if (text == "text") {
    *format = LogFormat::kText;
  } else if (text == "json") {
    *format = LogFormat::kJson;
  } else {
    *error = absl::StrCat("must be text or json, got \"", text, "\"");
    return false;
  }
  return true;
}

std::string AbslUnparseFlag(LogFormat format) {
  return format == LogFormat::kJson ? "json" : "text";
}

std::string FormatCallLogLine(const CallLogEntry& entry, LogFormat format) {
  const double latency_ms = absl::ToDoubleMilliseconds(entry.latency);
  if (format == LogFormat::kJson) {
    nlohmann::json line = {
        {"event", "call"},
        {"method", std::string(entry.method)},
        {"request_id", std::string(entry.request_id)},
        {"from", std::string(entry.from_object_type)},
        {"to", std::string(entry.to_object_type)},
        {"inputs", entry.inputs},
        {"upstream_requests", entry.upstream_requests},
        {"retries", entry.retries},
        {"http_status", entry.upstream_http_status},
        {"correlation_id", std::string(entry.correlation_id)},
        {"code", absl::StatusCodeToString(entry.code)},
        {"latency_ms", latency_ms},
    };
    if (!entry.message.empty()) line["message"] = std::string(entry.message);
    return Json(line);
  }
  std::string line = absl::StrFormat(
      "call method=%s request_id=%s from=%s to=%s inputs=%d upstream_requests=%d retries=%d "
      "http_status=%d correlation_id=%s code=%s latency_ms=%.3f",
      entry.method, Field(entry.request_id), Field(entry.from_object_type),
      Field(entry.to_object_type), entry.inputs, entry.upstream_requests, entry.retries,
      entry.upstream_http_status, Field(entry.correlation_id), absl::StatusCodeToString(entry.code),
      latency_ms);
  if (!entry.message.empty()) {
    absl::StrAppend(&line, " message=\"", absl::CHexEscape(entry.message), "\"");
  }
  return line;
}

std::string FormatEventLine(absl::string_view message, LogFormat format) {
  if (format == LogFormat::kJson) {
    return Json({{"event", "gateway"}, {"message", std::string(message)}});
  }
  return absl::StrCat("gateway: ", message);
}

void WriteLogLine(absl::string_view line) {
  const std::string text = absl::StrCat(line, "\n");
  // One write(2) per line: concurrent lines never interleave.
  (void)!write(STDERR_FILENO, text.data(), text.size());
}

CallLogger::CallLogger(LogFormat format, size_t max_queued_lines)
    : format_(format), writer_(max_queued_lines, WriteLogLine, [format](int64_t dropped) {
        return FormatEventLine(absl::StrCat(dropped,
                                            " log lines dropped: stderr was too slow and the "
                                            "log queue was full"),
                               format);
      }) {}

void CallLogger::LogCall(const CallLogEntry& entry) const {
  writer_.Write(FormatCallLogLine(entry, format_));
}

void CallLogger::LogEvent(absl::string_view message) const {
  writer_.Write(FormatEventLine(message, format_));
}

}  // namespace hubspot_gateway
