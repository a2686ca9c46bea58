#include "server/api/call_log.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/recording_log_sink.h"

namespace hubspot_gateway {
namespace {

absl::Time Moment() { return absl::FromUnixMicros(1796522988000250); }

CallLogEntry FullEntry() {
  CallLogEntry entry;
  entry.method = "ArchiveAssociations";
  entry.request_id = "req-1";
  entry.from_object_type = "contacts";
  entry.to_object_type = "companies";
  entry.inputs = 2;
  entry.upstream_requests = 3;
  entry.retries = 2;
  entry.upstream_http_status = 503;
  entry.correlation_id = "c-1";
  entry.code = absl::StatusCode::kUnavailable;
  entry.message = "HubSpot answered HTTP 503 \"busy\"";
  entry.latency = absl::Microseconds(1500);
  return entry;
}

TEST(CallLogRecordTest, TextNamesEverythingAnOperatorNeeds) {
  EXPECT_EQ(FormatLogLine(Moment(), CallLogRecord(FullEntry()), LogFormat::kText),
            "2026-12-06T02:09:48.000250Z ERROR call method=ArchiveAssociations request_id=req-1 "
            "from=contacts to=companies inputs=2 upstream_requests=3 retries=2 http_status=503 "
            "correlation_id=c-1 code=UNAVAILABLE latency_ms=1.500 message=\"HubSpot answered "
            "HTTP 503 \\\"busy\\\"\"");
}

TEST(CallLogRecordTest, TextEmptyFieldsAreDashesAndCallerTextCannotBreakTheLine) {
  CallLogEntry entry;
  entry.method = "ArchiveAssociations";
  entry.from_object_type = "a\nb";
  EXPECT_EQ(FormatLogLine(Moment(), CallLogRecord(entry), LogFormat::kText),
            "2026-12-06T02:09:48.000250Z INFO call method=ArchiveAssociations request_id=- "
            "from=a\\nb to=- inputs=0 upstream_requests=0 retries=0 http_status=0 "
            "correlation_id=- code=OK latency_ms=0.000");
}

TEST(CallLogRecordTest, JsonIsOneParseableObject) {
  const std::string line = FormatLogLine(Moment(), CallLogRecord(FullEntry()), LogFormat::kJson);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto parsed = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed["ts"], "2026-12-06T02:09:48.000250Z");
  EXPECT_EQ(parsed["level"], "ERROR");
  EXPECT_EQ(parsed["event"], "call");
  EXPECT_EQ(parsed["request_id"], "req-1");
  EXPECT_EQ(parsed["correlation_id"], "c-1");
  EXPECT_EQ(parsed["code"], "UNAVAILABLE");
  EXPECT_EQ(parsed["http_status"], 503);
  EXPECT_DOUBLE_EQ(parsed["latency_ms"].get<double>(), 1.5);
  EXPECT_EQ(parsed["message"], "HubSpot answered HTTP 503 \"busy\"");
}

TEST(CallLogLevelTest, InfoForSuccessWarningForRefusalsErrorForFailures) {
  EXPECT_EQ(CallLogLevel(absl::StatusCode::kOk), LogLevel::kInfo);
  EXPECT_EQ(CallLogLevel(absl::StatusCode::kCancelled), LogLevel::kInfo);
  for (absl::StatusCode code :
       {absl::StatusCode::kInvalidArgument, absl::StatusCode::kResourceExhausted,
        absl::StatusCode::kDeadlineExceeded, absl::StatusCode::kUnauthenticated,
        absl::StatusCode::kPermissionDenied, absl::StatusCode::kNotFound,
        absl::StatusCode::kAborted, absl::StatusCode::kFailedPrecondition}) {
    EXPECT_EQ(CallLogLevel(code), LogLevel::kWarning) << absl::StatusCodeToString(code);
  }
  for (absl::StatusCode code :
       {absl::StatusCode::kInternal, absl::StatusCode::kUnknown, absl::StatusCode::kDataLoss,
        absl::StatusCode::kUnimplemented, absl::StatusCode::kUnavailable}) {
    EXPECT_EQ(CallLogLevel(code), LogLevel::kError) << absl::StatusCodeToString(code);
  }
}

TEST(LogCallTest, WritesTheEntrysLineThroughTheLogger) {
  RecordingLogSink sink;
  {
    const Logger logger(
        LogFormat::kJson, 10, [] { return Moment(); }, sink.Fn());
    LogCall(logger, FullEntry());
  }
  EXPECT_THAT(sink.lines(), ::testing::ElementsAre(FormatLogLine(
                                Moment(), CallLogRecord(FullEntry()), LogFormat::kJson)));
}

}  // namespace
}  // namespace hubspot_gateway
