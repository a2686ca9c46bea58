#include "server/common/log.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace hubspot_gateway {
namespace {

void WriteToStderr(absl::string_view line) {
  const std::string text = absl::StrCat(line, "\n");
  // One write(2) per line: concurrent lines never interleave.
  (void)!write(STDERR_FILENO, text.data(), text.size());
}

// A field's value in a text line.
struct TextValue {
  std::string operator()(const std::string& value) const {
    return value.empty() ? "-" : absl::CHexEscape(value);
  }
  std::string operator()(int64_t value) const { return absl::StrCat(value); }
  std::string operator()(double value) const { return absl::StrFormat("%.3f", value); }
};

// A field's value in a JSON line.
struct JsonValue {
  nlohmann::ordered_json operator()(const std::string& value) const { return value; }
  nlohmann::ordered_json operator()(int64_t value) const { return value; }
  nlohmann::ordered_json operator()(double value) const { return value; }
};

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

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
  }
  return "ERROR";
}

std::string FormatLogTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

std::string FormatLogLine(absl::Time time, const LogRecord& record, LogFormat format) {
  if (format == LogFormat::kJson) {
    nlohmann::ordered_json line = {{"ts", FormatLogTime(time)},
                                   {"level", LogLevelName(record.level)},
                                   {"event", record.event}};
    for (const LogField& field : record.fields) {
      line[std::string(field.key)] = std::visit(JsonValue(), field.value);
    }
    if (!record.message.empty()) line["message"] = std::string(record.message);
    // Invalid UTF-8 from a caller becomes U+FFFD instead of an exception.
    return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  std::string line =
      absl::StrCat(FormatLogTime(time), " ", LogLevelName(record.level), " ", record.event);
  if (record.fields.empty()) {
    if (!record.message.empty()) absl::StrAppend(&line, ": ", record.message);
    return line;
  }
  for (const LogField& field : record.fields) {
    absl::StrAppend(&line, " ", field.key, "=", std::visit(TextValue(), field.value));
  }
  if (!record.message.empty()) {
    absl::StrAppend(&line, " message=\"", absl::CHexEscape(record.message), "\"");
  }
  return line;
}

Logger::Logger(LogFormat format, size_t max_queued_lines)
    : Logger(format, max_queued_lines, absl::Now, WriteToStderr) {}

Logger::Logger(LogFormat format, size_t max_queued_lines, std::function<absl::Time()> now,
               std::function<void(absl::string_view line)> write)
    : format_(format),
      now_(std::move(now)),
      write_(std::move(write)),
      writer_(
          max_queued_lines, [this](absl::string_view line) { write_(line); },
          [this](int64_t dropped) {
            const std::string message = absl::StrCat(
                dropped, " log lines dropped: stderr was too slow and the log queue was full");
            return FormatLogLine(now_(), {LogLevel::kWarning, "gateway", {}, message}, format_);
          }) {}

void Logger::Log(const LogRecord& record) const {
  writer_.Write(FormatLogLine(now_(), record, format_));
}

void Logger::LogNow(const LogRecord& record) const {
  write_(FormatLogLine(now_(), record, format_));
}

void Logger::Log(LogLevel level, absl::string_view message) const {
  Log(LogRecord{level, "gateway", {}, message});
}

}  // namespace hubspot_gateway
