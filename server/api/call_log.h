// The gateway's log: one line per finished call and one per lifecycle event,
// as text (key=value) or JSON (one object per line), each written to stderr
// in a single write so lines never interleave. Never pass a token in.
// CallLogger formats on the caller's thread and writes on a thread of its
// own (QueuedLineWriter), so calls finishing on curl's event loop never wait
// for stderr; lines beyond its queue are dropped and counted in a line of
// their own. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALL_LOG_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALL_LOG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/common/queued_line_writer.h"

namespace hubspot_gateway {

enum class LogFormat { kText, kJson };

// "text" or "json" (for ABSL_FLAG).
bool AbslParseFlag(absl::string_view text, LogFormat* format, std::string* error);
std::string AbslUnparseFlag(LogFormat format);

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

// Text: "call method=... request_id=... from=... to=... inputs=N
//   upstream_requests=N retries=N http_status=N correlation_id=... code=OK
//   latency_ms=1.234 [message="..."]".
// JSON: {"event":"call","method":...,"request_id":...,...,"latency_ms":1.234}.
std::string FormatCallLogLine(const CallLogEntry& entry, LogFormat format);

// Text: "gateway: <message>"; JSON: {"event":"gateway","message":"..."}.
std::string FormatEventLine(absl::string_view message, LogFormat format);

class CallLogger {
 public:
  // Lines waiting for stderr, at most, by default: minutes of calls at the
  // gateway's rates, a few MiB.
  static constexpr size_t kDefaultMaxQueuedLines = 10000;

  // Destroying the logger writes every line still queued.
  explicit CallLogger(LogFormat format, size_t max_queued_lines = kDefaultMaxQueuedLines);

  // Queue the line; never block.
  void LogCall(const CallLogEntry& entry) const;
  void LogEvent(absl::string_view message) const;

 private:
  const LogFormat format_;
  // Mutable: logging does not change what the logger is.
  mutable QueuedLineWriter writer_;
};

// Writes `line` and a newline to stderr in one write (for messages before a
// CallLogger exists, such as a configuration error).
void WriteLogLine(absl::string_view line);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALL_LOG_H_
