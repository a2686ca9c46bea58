#include "server/hubspot/archive_response.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/hubspot/upstream_error_status.h"
#include "tests/fakes/fake_http_transport.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::testing::HasSubstr;

const absl::Time kSent = absl::FromUnixMillis(1772366400000);
const absl::Time kReceived = kSent + absl::Milliseconds(42);

TEST(ReadUpstreamAnswerTest, NoContentIsCompleteTimedByTheGateway) {
  const auto result =
      ReadUpstreamAnswer(FakeHttpTransport::Answer(204, ""), kSent, kReceived).result;
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->status(), v1::BatchResult::COMPLETE);
  EXPECT_EQ(result->started_at().seconds(), 1772366400);
  EXPECT_EQ(result->completed_at().nanos(), 42000000);
  EXPECT_EQ(result->num_errors(), 0);
  EXPECT_FALSE(result->has_requested_at());
}

TEST(ReadUpstreamAnswerTest, BatchResponseBodiesAreDecodedFor200And207) {
  for (int status : {200, 207}) {
    const auto result =
        ReadUpstreamAnswer(
            FakeHttpTransport::Answer(
                status, R"({"status":"PENDING","results":[],"startedAt":"2026-03-01T12:00:00Z",)"
                        R"("completedAt":"2026-03-01T12:00:00Z"})"),
            kSent, kReceived)
            .result;
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->status(), v1::BatchResult::PENDING);
    EXPECT_EQ(result->started_at().seconds(), 1772366400);
  }
}

TEST(ReadUpstreamAnswerTest, UnparseableSuccessBodyIsInternalWithTheRawBody) {
  const auto result =
      ReadUpstreamAnswer(FakeHttpTransport::Answer(200, R"({"status":"COMPL)"), kSent, kReceived)
          .result;
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInternal);
  const auto error = GetUpstreamError(result.status());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->http_status(), 200);
  EXPECT_EQ(error->raw_body(), R"({"status":"COMPL)");
}

TEST(ReadUpstreamAnswerTest, EmptyObjectSuccessIsInternalQuotingTheBody) {
  const auto result =
      ReadUpstreamAnswer(FakeHttpTransport::Answer(200, "{}"), kSent, kReceived).result;
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(result.status().message()),
              ::testing::HasSubstr("not a BatchResponse: it has no \"status\"; the answer (HTTP "
                                   "200) began: {}"));
  const auto error = GetUpstreamError(result.status());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->http_status(), 200);
  EXPECT_EQ(error->raw_body(), "{}");
}

TEST(ReadUpstreamAnswerTest, RejectionCarriesHubSpotsErrorAndRetryAfter) {
  const auto result =
      ReadUpstreamAnswer(
          FakeHttpTransport::Answer(
              429,
              R"({"status":"error","message":"You have reached your secondly limit.",)"
              R"("errorType":"RATE_LIMIT","correlationId":"c-9","policyName":"TEN_SECONDLY_ROLLING"})",
              {{"retry-after", "3"}}),
          kSent, kReceived)
          .result;
  ASSERT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("c-9"));
  const auto error = GetUpstreamError(result.status());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->policy_name(), "TEN_SECONDLY_ROLLING");
  EXPECT_EQ(error->retry_after().seconds(), 3);
}

TEST(ReadUpstreamAnswerTest, NonJsonRejectionStillMaps) {
  const auto result =
      ReadUpstreamAnswer(FakeHttpTransport::Answer(502, "<html><body>Bad gateway</body></html>",
                                                   {{"content-type", "text/html"}}),
                         kSent, kReceived)
          .result;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetUpstreamError(result.status())->raw_body(), "<html><body>Bad gateway</body></html>");
}

TEST(ReadUpstreamAnswerTest, TransportFailuresKeepTheirCode) {
  const auto refused =
      ReadUpstreamAnswer(absl::UnavailableError("Couldn't connect to server"), kSent, kReceived)
          .result;
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetUpstreamError(refused.status())->http_status(), 0);
  const auto timeout =
      ReadUpstreamAnswer(absl::DeadlineExceededError("Timeout was reached"), kSent, kReceived)
          .result;
  EXPECT_EQ(timeout.status().code(), absl::StatusCode::kDeadlineExceeded);
}

// Every 429 but DAILY is a rolling limit, whatever its body says or lacks.
TEST(ReadUpstreamAnswerTest, EachRateLimitAnswerIsClassifiedOnce) {
  struct Case {
    const char* name;
    std::string body;
    AnswerOutcome outcome;
  };
  const std::vector<Case> cases = {
      {"body-less", "", AnswerOutcome::kRollingLimit},
      {"SECONDLY", R"({"status":"error","policyName":"SECONDLY"})", AnswerOutcome::kRollingLimit},
      {"TEN_SECONDLY_ROLLING", R"({"status":"error","policyName":"TEN_SECONDLY_ROLLING"})",
       AnswerOutcome::kRollingLimit},
      {"DAILY", R"({"status":"error","policyName":"DAILY"})", AnswerOutcome::kDailyLimit},
      {"unknown policy", R"({"status":"error","policyName":"MINUTELY_BURST"})",
       AnswerOutcome::kRollingLimit},
      {"non-JSON", "<html><body>Too Many Requests</body></html>", AnswerOutcome::kRollingLimit},
  };
  for (const Case& c : cases) {
    const UpstreamAnswer answer = ReadUpstreamAnswer(
        FakeHttpTransport::Answer(429, c.body, {{"retry-after", "1"}}), kSent, kReceived);
    EXPECT_EQ(answer.outcome, c.outcome) << c.name;
    EXPECT_EQ(answer.http_status, 429) << c.name;
    EXPECT_EQ(answer.retry_after, absl::Seconds(1)) << c.name;
    EXPECT_EQ(answer.result.status().code(), absl::StatusCode::kResourceExhausted) << c.name;
  }
}

TEST(ReadUpstreamAnswerTest, SuccessesFailuresAndNoAnswerAreClassifiedOnce) {
  struct Case {
    const char* name;
    absl::StatusOr<HttpResponse> exchange;
    AnswerOutcome outcome;
  };
  const std::vector<Case> cases = {
      {"204", FakeHttpTransport::Answer(204, ""), AnswerOutcome::kSuccess},
      {"200 without errors",
       FakeHttpTransport::Answer(200, R"({"status":"COMPLETE","results":[]})"),
       AnswerOutcome::kSuccess},
      {"207 with errors",
       FakeHttpTransport::Answer(
           207, R"({"status":"COMPLETE","numErrors":1,"errors":[{"status":"error"}]})"),
       AnswerOutcome::kPartial},
      {"undecodable 200", FakeHttpTransport::Answer(200, R"({"status":)"),
       AnswerOutcome::kPermanent},
      {"400", FakeHttpTransport::Answer(400, R"({"message":"bad"})"), AnswerOutcome::kPermanent},
      {"401", FakeHttpTransport::Answer(401, ""), AnswerOutcome::kPermanent},
      {"404", FakeHttpTransport::Answer(404, ""), AnswerOutcome::kPermanent},
      {"408", FakeHttpTransport::Answer(408, ""), AnswerOutcome::kTransient},
      {"502 HTML", FakeHttpTransport::Answer(502, "<html>Bad gateway</html>"),
       AnswerOutcome::kTransient},
      {"refused", absl::UnavailableError("Couldn't connect"), AnswerOutcome::kTransient},
      {"timed out", absl::DeadlineExceededError("Timeout was reached"), AnswerOutcome::kTransient},
      {"malformed URL", absl::InvalidArgumentError("URL rejected"), AnswerOutcome::kPermanent},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ReadUpstreamAnswer(c.exchange, kSent, kReceived).outcome, c.outcome) << c.name;
  }
}

TEST(ParseRetryAfterTest, SecondsAndHttpDates) {
  const absl::Time now = absl::FromUnixSeconds(1792567670);  // 2026-10-21T07:27:50Z
  EXPECT_EQ(ParseRetryAfter("120", now), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2026 07:28:00 GMT", now), absl::Seconds(10));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2026 07:00:00 GMT", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("-5", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
}

}  // namespace
}  // namespace hubspot_gateway
