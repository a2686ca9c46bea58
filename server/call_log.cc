#include "server/call_log.h"

#include <unistd.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hubspot_gateway {
namespace {

// Caller-supplied text, escaped so it cannot break the line; "-" when empty.
std::string Field(absl::string_view value) {
  return value.empty() ? "-" : absl::CHexEscape(value);
}

}  // namespace

std::string FormatCallLogLine(const CallLogEntry& entry) {
  std::string line = absl::StrFormat(
      "call method=%s from=%s to=%s inputs=%d upstream_requests=%d retries=%d "
      "http_status=%d correlation_id=%s code=%s latency_ms=%.3f",
      entry.method, Field(entry.from_object_type), Field(entry.to_object_type),
      entry.inputs, entry.upstream_requests, entry.retries, entry.upstream_http_status,
      Field(entry.correlation_id),
      absl::StatusCodeToString(entry.code),
      absl::ToDoubleMilliseconds(entry.latency));
  if (!entry.message.empty()) {
    absl::StrAppend(&line, " message=\"", absl::CHexEscape(entry.message), "\"");
  }
  return line;
}

void LogLine(absl::string_view line) {
  const std::string text = absl::StrCat(line, "\n");
  // One write(2) per line: concurrent lines never interleave.
  (void)!write(STDERR_FILENO, text.data(), text.size());
}

void LogCall(const CallLogEntry& entry) { LogLine(FormatCallLogLine(entry)); }

}  // namespace hubspot_gateway
