#include "server/common/log.h"

#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/recording_log_sink.h"

namespace hubspot_gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::MatchesRegex;

// 2026-12-06T02:09:48.000250Z.
absl::Time Moment() {
  return absl::FromCivil(absl::CivilSecond(2026, 12, 6, 2, 9, 48), absl::UTCTimeZone()) +
         absl::Microseconds(250);
}

LogRecord CallRecord() {
  return {LogLevel::kWarning,
          "call",
          {{"method", "ArchiveAssociations"}, {"from", ""}, {"inputs", 2}, {"latency_ms", 1.5}},
          "HubSpot said \"no\""};
}

TEST(FormatLogTimeTest, Rfc3339UtcWithMicroseconds) {
  EXPECT_EQ(FormatLogTime(Moment()), "2026-12-06T02:09:48.000250Z");
  EXPECT_EQ(FormatLogTime(absl::FromUnixSeconds(0)), "1970-01-01T00:00:00.000000Z");
}

TEST(FormatLogTimeTest, IsUtcWhateverTheLocalZone) {
  // absl::FormatTime in the local zone would differ; the log never does.
  EXPECT_THAT(FormatLogTime(absl::Now()),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z"));
}

TEST(LogLevelNameTest, NamesEachLevel) {
  EXPECT_EQ(LogLevelName(LogLevel::kInfo), "INFO");
  EXPECT_EQ(LogLevelName(LogLevel::kWarning), "WARNING");
  EXPECT_EQ(LogLevelName(LogLevel::kError), "ERROR");
}

TEST(FormatLogLineTest, TextEventWithoutFields) {
  EXPECT_EQ(FormatLogLine(Moment(), {LogLevel::kInfo, "gateway", {}, "listening on port 1"},
                          LogFormat::kText),
            "2026-12-06T02:09:48.000250Z INFO gateway: listening on port 1");
  EXPECT_EQ(FormatLogLine(Moment(), {LogLevel::kError, "gateway", {}, ""}, LogFormat::kText),
            "2026-12-06T02:09:48.000250Z ERROR gateway");
}

TEST(FormatLogLineTest, TextFieldsThenQuotedMessage) {
  EXPECT_EQ(FormatLogLine(Moment(), CallRecord(), LogFormat::kText),
            "2026-12-06T02:09:48.000250Z WARNING call method=ArchiveAssociations from=- "
            "inputs=2 latency_ms=1.500 message=\"HubSpot said \\\"no\\\"\"");
}

TEST(FormatLogLineTest, TextCallerTextCannotBreakTheLine) {
  const std::string line = FormatLogLine(
      Moment(), {LogLevel::kInfo, "call", {{"from", "a\nb"}}, "x\ny"}, LogFormat::kText);
  EXPECT_EQ(line, "2026-12-06T02:09:48.000250Z INFO call from=a\\nb message=\"x\\ny\"");
}

TEST(FormatLogLineTest, JsonHasTimeLevelEventFieldsInOrderAndMessage) {
  const std::string line = FormatLogLine(Moment(), CallRecord(), LogFormat::kJson);
  EXPECT_EQ(line, R"({"ts":"2026-12-06T02:09:48.000250Z","level":"WARNING","event":"call",)"
                  R"("method":"ArchiveAssociations","from":"","inputs":2,"latency_ms":1.5,)"
                  R"("message":"HubSpot said \"no\""})");
  const auto parsed = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed["inputs"], 2);
}

TEST(FormatLogLineTest, JsonWithoutMessageLeavesItOut) {
  const auto parsed = nlohmann::json::parse(
      FormatLogLine(Moment(), {LogLevel::kInfo, "call", {{"inputs", 1}}, ""}, LogFormat::kJson));
  EXPECT_FALSE(parsed.contains("message"));
  EXPECT_EQ(parsed["level"], "INFO");
}

TEST(FormatLogLineTest, JsonSurvivesInvalidUtf8) {
  const std::string line = FormatLogLine(
      Moment(), {LogLevel::kInfo, "call", {{"from", "\xff\xfe"}}, "\xc3"}, LogFormat::kJson);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded());
}

TEST(LogFormatFlagTest, ParsesTextAndJsonOnly) {
  LogFormat format = LogFormat::kText;
  std::string error;
  EXPECT_TRUE(AbslParseFlag("json", &format, &error));
  EXPECT_EQ(format, LogFormat::kJson);
  EXPECT_EQ(AbslUnparseFlag(format), "json");
  EXPECT_TRUE(AbslParseFlag("text", &format, &error));
  EXPECT_EQ(AbslUnparseFlag(format), "text");
  EXPECT_FALSE(AbslParseFlag("xml", &format, &error));
  EXPECT_EQ(error, "must be text or json, got \"xml\"");
}

TEST(LoggerTest, TimesEachLineWhenLoggedAndWritesThemAllInOrder) {
  RecordingLogSink sink;
  absl::Time now = Moment();
  {
    const Logger logger(
        LogFormat::kText, 100, [&now] { return now; }, sink.Fn());
    logger.Log(LogLevel::kInfo, "listening");
    now += absl::Seconds(1);
    logger.Log(CallRecord());
    logger.Log(LogLevel::kError, "stopped");
  }
  EXPECT_THAT(sink.lines(), ElementsAre("2026-12-06T02:09:48.000250Z INFO gateway: listening",
                                        FormatLogLine(Moment() + absl::Seconds(1), CallRecord(),
                                                      LogFormat::kText),
                                        "2026-12-06T02:09:49.000250Z ERROR gateway: stopped"));
}

TEST(LoggerTest, DroppedLinesAreReportedAsAWarningInTheLogsFormat) {
  RecordingLogSink sink;
  absl::Notification stalled;
  absl::Notification release;
  {
    const Logger logger(
        LogFormat::kJson, 1, [] { return Moment(); },
        [&](absl::string_view line) {
          if (!stalled.HasBeenNotified()) {
            stalled.Notify();
            release.WaitForNotification();
          }
          sink.Fn()(line);
        });
    logger.Log(LogLevel::kInfo, "first");  // Taken by the writer, which stalls.
    stalled.WaitForNotification();
    logger.Log(LogLevel::kInfo, "queued");   // Fills the queue of one.
    logger.Log(LogLevel::kInfo, "dropped");  // Finds it full.
    release.Notify();
  }
  const std::vector<std::string> lines = sink.lines();
  ASSERT_EQ(lines.size(), 3u);
  const auto notice = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(notice["level"], "WARNING");
  EXPECT_EQ(notice["event"], "gateway");
  EXPECT_EQ(notice["message"],
            "1 log lines dropped: stderr was too slow and the log queue was full");
}

TEST(LoggerTest, LogNowWritesBeforeItReturns) {
  RecordingLogSink sink;
  const Logger logger(
      LogFormat::kText, 10, [] { return Moment(); }, sink.Fn());
  logger.LogNow({LogLevel::kError, "grpc", {{"file", "a.cc"}}, "assertion failed"});
  EXPECT_THAT(sink.lines(), ElementsAre("2026-12-06T02:09:48.000250Z ERROR grpc file=a.cc "
                                        "message=\"assertion failed\""));
}

TEST(LoggerTest, WritesToStderrByDefault) {
  ::testing::internal::CaptureStderr();
  {
    const Logger logger(LogFormat::kText);
    logger.Log(LogLevel::kWarning, "budget store: Redis refused AUTH");
  }
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              MatchesRegex("[-0-9T:.]+Z WARNING gateway: budget store: Redis refused AUTH\n"));
}

}  // namespace
}  // namespace hubspot_gateway
