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

TEST(InterpretArchiveExchangeTest, NoContentIsCompleteTimedByTheGateway) {
  const auto result =
      InterpretArchiveExchange(FakeHttpTransport::Answer(204, ""), kSent, kReceived);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->status(), v1::BatchResult::COMPLETE);
  EXPECT_EQ(result->started_at().seconds(), 1772366400);
  EXPECT_EQ(result->completed_at().nanos(), 42000000);
  EXPECT_EQ(result->num_errors(), 0);
  EXPECT_FALSE(result->has_requested_at());
}

TEST(InterpretArchiveExchangeTest, BatchResponseBodiesAreDecodedFor200And207) {
  for (int status : {200, 207}) {
    const auto result = InterpretArchiveExchange(
        FakeHttpTransport::Answer(
            status, R"({"status":"PENDING","results":[],"startedAt":"2026-03-01T12:00:00Z",)"
                    R"("completedAt":"2026-03-01T12:00:00Z"})"),
        kSent, kReceived);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->status(), v1::BatchResult::PENDING);
    EXPECT_EQ(result->started_at().seconds(), 1772366400);
  }
}

TEST(InterpretArchiveExchangeTest, UnparseableSuccessBodyIsInternalWithTheRawBody) {
  const auto result = InterpretArchiveExchange(
      FakeHttpTransport::Answer(200, R"({"status":"COMPL)"), kSent, kReceived);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInternal);
  const auto error = GetUpstreamError(result.status());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->http_status(), 200);
  EXPECT_EQ(error->raw_body(), R"({"status":"COMPL)");
}

TEST(InterpretArchiveExchangeTest, RejectionCarriesHubSpotsErrorAndRetryAfter) {
  const auto result = InterpretArchiveExchange(
      FakeHttpTransport::Answer(
          429,
          R"({"status":"error","message":"You have reached your secondly limit.",)"
          R"("errorType":"RATE_LIMIT","correlationId":"c-9","policyName":"TEN_SECONDLY_ROLLING"})",
          {{"retry-after", "3"}}),
      kSent, kReceived);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("c-9"));
  const auto error = GetUpstreamError(result.status());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->policy_name(), "TEN_SECONDLY_ROLLING");
  EXPECT_EQ(error->retry_after().seconds(), 3);
}

TEST(InterpretArchiveExchangeTest, NonJsonRejectionStillMaps) {
  const auto result = InterpretArchiveExchange(
      FakeHttpTransport::Answer(502, "<html><body>Bad gateway</body></html>",
                                {{"content-type", "text/html"}}),
      kSent, kReceived);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetUpstreamError(result.status())->raw_body(), "<html><body>Bad gateway</body></html>");
}

TEST(InterpretArchiveExchangeTest, TransportFailuresKeepTheirCode) {
  const auto refused = InterpretArchiveExchange(
      absl::UnavailableError("Couldn't connect to server"), kSent, kReceived);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetUpstreamError(refused.status())->http_status(), 0);
  const auto timeout = InterpretArchiveExchange(absl::DeadlineExceededError("Timeout was reached"),
                                                kSent, kReceived);
  EXPECT_EQ(timeout.status().code(), absl::StatusCode::kDeadlineExceeded);
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
