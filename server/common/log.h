// The gateway's one log. Every line on stderr starts with an RFC 3339 UTC
// timestamp (microseconds) and a level (INFO, WARNING, ERROR), then names its
// event ("gateway" for the process's own lines, "call" for one finished call,
// "grpc" for the gRPC library's) with the event's fields and message, as text
// (key=value) or JSON (one object per line). Never pass a token, key or
// password in.
// A Logger formats each line on the caller's thread (its timestamp is when
// Log was called) and writes it on a thread of its own (QueuedLineWriter), in
// one write(2), so calls finishing on curl's event loop never wait for stderr
// and lines never interleave; lines beyond its queue are dropped and counted
// in a WARNING line of their own. Destroying it writes every queued line.
// Thread-safe: Log may be called from any thread.
//
//   const Logger log(LogFormat::kJson);
//   log.Log(LogLevel::kInfo, "listening on port 50051");
//   // {"ts":"2026-12-06T02:09:48.123456Z","level":"INFO","event":"gateway",
//   //  "message":"listening on port 50051"}
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_LOG_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_LOG_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/common/queued_line_writer.h"

namespace hubspot_gateway {

enum class LogFormat { kText, kJson };

// "text" or "json" (for ABSL_FLAG).
bool AbslParseFlag(absl::string_view text, LogFormat* format, std::string* error);
std::string AbslUnparseFlag(LogFormat format);

enum class LogLevel { kInfo, kWarning, kError };

// "INFO", "WARNING" or "ERROR".
absl::string_view LogLevelName(LogLevel level);

// One key=value of a line: a string, an integer or a real number. The key
// is a literal (a view); the value is copied.
struct LogField {
  LogField(absl::string_view key, absl::string_view value) : key(key), value(std::string(value)) {}
  LogField(absl::string_view key, const char* value) : key(key), value(std::string(value)) {}
  LogField(absl::string_view key, std::string value) : key(key), value(std::move(value)) {}
  LogField(absl::string_view key, int value) : key(key), value(int64_t{value}) {}
  LogField(absl::string_view key, int64_t value) : key(key), value(value) {}
  LogField(absl::string_view key, double value) : key(key), value(value) {}

  absl::string_view key;
  std::variant<std::string, int64_t, double> value;
};

// What one line says, apart from when. `event` and `message` are views: the
// line is formatted before Log returns.
struct LogRecord {
  LogLevel level = LogLevel::kInfo;
  // One word: "gateway", "call", "grpc".
  absl::string_view event = "gateway";
  std::vector<LogField> fields;
  // Free text; may be empty.
  absl::string_view message;
};

// 2026-12-06T02:09:48.123456Z: RFC 3339, UTC, always six fractional digits.
std::string FormatLogTime(absl::Time time);

// Text without fields: "<ts> <LEVEL> <event>: <message>". Text with fields:
// "<ts> <LEVEL> <event> key=value ... message="..."" (message= only when not
// empty); strings C-escaped so caller text cannot break the line, "-" when
// empty; real numbers with three decimals. JSON: one line,
// {"ts":...,"level":...,"event":...,<fields in order>,"message":...} (message
// only when not empty); invalid UTF-8 becomes U+FFFD.
std::string FormatLogLine(absl::Time time, const LogRecord& record, LogFormat format);

class Logger {
 public:
  // Lines waiting for stderr, at most, by default: minutes of calls at the
  // gateway's rates, a few MiB.
  static constexpr size_t kDefaultMaxQueuedLines = 10000;

  // Lines go to stderr, timed by absl::Now.
  explicit Logger(LogFormat format, size_t max_queued_lines = kDefaultMaxQueuedLines);
  // Lines go to `write` (on the writer thread, and on LogNow's caller's),
  // timed by `now` (on the caller's thread). Both must be thread-safe.
  Logger(LogFormat format, size_t max_queued_lines, std::function<absl::Time()> now,
         std::function<void(absl::string_view line)> write);

  // Queues the line; never blocks.
  void Log(const LogRecord& record) const;
  // A "gateway" line with `message` alone.
  void Log(LogLevel level, absl::string_view message) const;
  // Writes the line on the caller's thread, ahead of lines still queued: for
  // a line that must be out before the process may abort.
  void LogNow(const LogRecord& record) const;

  LogFormat format() const { return format_; }

 private:
  const LogFormat format_;
  const std::function<absl::Time()> now_;
  const std::function<void(absl::string_view line)> write_;
  // Mutable: logging does not change what the logger is.
  mutable QueuedLineWriter writer_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_LOG_H_
