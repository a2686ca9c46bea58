#include "server/api/call_log.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hubspot_gateway {
namespace {

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

TEST(FormatCallLogLineTest, TextNamesEverythingAnOperatorNeeds) {
  EXPECT_EQ(FormatCallLogLine(FullEntry(), LogFormat::kText),
            "call method=ArchiveAssociations request_id=req-1 from=contacts to=companies "
            "inputs=2 upstream_requests=3 retries=2 http_status=503 correlation_id=c-1 "
            "code=UNAVAILABLE latency_ms=1.500 message=\"HubSpot answered HTTP 503 "
            "\\\"busy\\\"\"");
}

TEST(FormatCallLogLineTest, TextEmptyFieldsAreDashesAndCallerTextCannotBreakTheLine) {
  CallLogEntry entry;
  entry.method = "ArchiveAssociations";
  entry.from_object_type = "a\nb";
  EXPECT_EQ(FormatCallLogLine(entry, LogFormat::kText),
            "call method=ArchiveAssociations request_id=- from=a\\nb to=- inputs=0 "
            "upstream_requests=0 retries=0 http_status=0 correlation_id=- code=OK "
            "latency_ms=0.000");
}

TEST(FormatCallLogLineTest, JsonIsOneParseableObject) {
  const std::string line = FormatCallLogLine(FullEntry(), LogFormat::kJson);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto parsed = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed["event"], "call");
  EXPECT_EQ(parsed["request_id"], "req-1");
  EXPECT_EQ(parsed["correlation_id"], "c-1");
  EXPECT_EQ(parsed["code"], "UNAVAILABLE");
  EXPECT_EQ(parsed["http_status"], 503);
  EXPECT_DOUBLE_EQ(parsed["latency_ms"].get<double>(), 1.5);
  EXPECT_EQ(parsed["message"], "HubSpot answered HTTP 503 \"busy\"");
}

TEST(FormatCallLogLineTest, JsonSurvivesInvalidUtf8) {
  CallLogEntry entry;
  entry.from_object_type = "\xff\xfe";
  const auto parsed =
      nlohmann::json::parse(FormatCallLogLine(entry, LogFormat::kJson), nullptr, false);
  EXPECT_FALSE(parsed.is_discarded());
}

TEST(FormatEventLineTest, TextAndJson) {
  EXPECT_EQ(FormatEventLine("stopped", LogFormat::kText), "gateway: stopped");
  EXPECT_EQ(FormatEventLine("stopped", LogFormat::kJson),
            R"({"event":"gateway","message":"stopped"})");
}

TEST(CallLoggerTest, LinesQueuedAtShutdownAreWrittenToStderr) {
  ::testing::internal::CaptureStderr();
  {
    const CallLogger logger(LogFormat::kText);
    logger.LogEvent("listening");
    logger.LogCall(FullEntry());
    logger.LogEvent("stopped");
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            absl::StrCat("gateway: listening\n", FormatCallLogLine(FullEntry(), LogFormat::kText),
                         "\ngateway: stopped\n"));
}

}  // namespace
}  // namespace hubspot_gateway
