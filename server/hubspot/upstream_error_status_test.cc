#include "server/hubspot/upstream_error_status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::testing::HasSubstr;
using ::testing::Not;

struct Row {
  int http_status;
  absl::StatusCode code;
};

class HttpStatusToCodeTest : public testing::TestWithParam<Row> {};

TEST_P(HttpStatusToCodeTest, MapsToTheDocumentedCode) {
  EXPECT_EQ(HttpStatusToCode(GetParam().http_status), GetParam().code)
      << "HTTP " << GetParam().http_status;
}

INSTANTIATE_TEST_SUITE_P(
    Table, HttpStatusToCodeTest,
    testing::Values(
        Row{400, absl::StatusCode::kInvalidArgument}, Row{401, absl::StatusCode::kUnauthenticated},
        Row{403, absl::StatusCode::kPermissionDenied}, Row{404, absl::StatusCode::kNotFound},
        Row{408, absl::StatusCode::kUnavailable}, Row{409, absl::StatusCode::kAborted},
        Row{429, absl::StatusCode::kResourceExhausted}, Row{500, absl::StatusCode::kUnavailable},
        Row{502, absl::StatusCode::kUnavailable}, Row{503, absl::StatusCode::kUnavailable},
        Row{504, absl::StatusCode::kUnavailable}, Row{599, absl::StatusCode::kUnavailable},
        Row{405, absl::StatusCode::kFailedPrecondition},
        Row{422, absl::StatusCode::kFailedPrecondition}, Row{301, absl::StatusCode::kInternal},
        Row{101, absl::StatusCode::kInternal}, Row{600, absl::StatusCode::kInternal}));

TEST(RejectedRequestStatusTest, MessageNamesHubSpotsMessageAndCorrelationId) {
  v1::UpstreamError error;
  error.set_http_status(403);
  error.set_category("MISSING_SCOPES");
  error.set_message("This app hasn't been granted all required scopes");
  error.set_correlation_id("aaaa-bbbb");
  const absl::Status status = RejectedRequestStatus(error);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(),
            "HubSpot answered HTTP 403 MISSING_SCOPES: This app hasn't been granted all "
            "required scopes (correlationId aaaa-bbbb)");
}

TEST(RejectedRequestStatusTest, NonJsonBodyIsQuotedShort) {
  v1::UpstreamError error;
  error.set_http_status(502);
  error.set_raw_body("<html>Bad gateway</html>" + std::string(400, 'x'));
  const absl::Status status = RejectedRequestStatus(error);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("HTTP 502 with a non-JSON body: <html>Bad gateway</html>"));
  EXPECT_LT(status.message().size(), 200u);
}

TEST(RejectedRequestStatusTest, RateLimitNamesThePolicy) {
  v1::UpstreamError error;
  error.set_http_status(429);
  error.set_policy_name("DAILY");
  error.set_message("You have reached your daily limit.");
  EXPECT_THAT(std::string(RejectedRequestStatus(error).message()),
              HasSubstr("HTTP 429 DAILY: You have reached your daily limit."));
}

TEST(UpstreamErrorStatusTest, UnreachableUpstreamIsDescribedAsSuch) {
  v1::UpstreamError error;
  error.set_message("Couldn't connect to server");
  const absl::Status status = UpstreamErrorStatus(absl::StatusCode::kUnavailable, error);
  EXPECT_EQ(status.message(), "HubSpot could not be reached: Couldn't connect to server");
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("HTTP")));
}

TEST(GetUpstreamErrorTest, RoundTripsThePayload) {
  v1::UpstreamError error;
  error.set_http_status(409);
  error.set_correlation_id("c");
  const auto read = GetUpstreamError(RejectedRequestStatus(error));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->http_status(), 409);
  EXPECT_EQ(read->correlation_id(), "c");
  EXPECT_FALSE(GetUpstreamError(absl::InternalError("plain")).has_value());
}

TEST(WithAttemptsTest, RecordsAttemptsInThePayloadOnly) {
  v1::UpstreamError error;
  error.set_http_status(503);
  const absl::Status status = WithAttempts(RejectedRequestStatus(error), 3);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetUpstreamError(status)->attempts(), 3);
  EXPECT_EQ(WithAttempts(absl::InternalError("x"), 2), absl::InternalError("x"));
}

}  // namespace
}  // namespace hubspot_gateway
