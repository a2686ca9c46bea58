#include "server/hubspot/archive_response.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "server/hubspot/hubspot_json.h"
#include "server/hubspot/upstream_error_status.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;
using ::google::protobuf::util::TimeUtil;

namespace {

v1::BatchResult CompletedWithoutBody(absl::Time sent, absl::Time received) {
  v1::BatchResult result;
  result.set_status(v1::BatchResult::COMPLETE);
  *result.mutable_started_at() = ToTimestamp(sent);
  *result.mutable_completed_at() = ToTimestamp(received);
  return result;
}

// A 2xx whose body is not a BatchResponse: INTERNAL quoting how it began,
// never a guessed COMPLETE (README, "Malformed success answers").
absl::Status UndecodableSuccess(const HttpResponse& response, const absl::Status& decode) {
  v1::UpstreamError error = DecodeUpstreamError(response.status_code, response.body);
  error.set_raw_body(RawBodyExcerpt(response.body));
  error.set_message(absl::StrCat(decode.message(), "; the answer (HTTP ", response.status_code,
                                 ") began: ", RawBodyExcerpt(response.body.substr(0, 120))));
  return UpstreamErrorStatus(absl::StatusCode::kInternal, error);
}

// What a rejection (not 2xx) means: only its status and, for a 429, the policy.
AnswerOutcome RejectionOutcome(int http_status, absl::string_view policy_name) {
  if (http_status == 429) {
    return policy_name == "DAILY" ? AnswerOutcome::kDailyLimit : AnswerOutcome::kRollingLimit;
  }
  if (http_status == 408 || (http_status >= 500 && http_status <= 599)) {
    return AnswerOutcome::kTransient;
  }
  return AnswerOutcome::kPermanent;
}

std::optional<int64_t> ClampedIntHeader(const HttpResponse& response, absl::string_view name,
                                        int64_t low, int64_t high) {
  int64_t value = 0;
  auto header = response.Header(name);
  if (!header.has_value() || !absl::SimpleAtoi(*header, &value) || value < 0) {
    return std::nullopt;
  }
  return std::clamp(value, low, high);
}

}  // namespace

RateLimitHeaders ReadRateLimitHeaders(const HttpResponse& response) {
  constexpr int64_t kMaxRequests = RateLimitHeaders::kMaxAdvertisedRequests;
  RateLimitHeaders headers;
  if (auto max = ClampedIntHeader(response, "x-hubspot-ratelimit-max", 1, kMaxRequests)) {
    headers.max = static_cast<int>(*max);
  }
  if (auto remaining =
          ClampedIntHeader(response, "x-hubspot-ratelimit-remaining", 0, kMaxRequests)) {
    headers.remaining = static_cast<int>(*remaining);
  }
  if (auto interval = ClampedIntHeader(response, "x-hubspot-ratelimit-interval-milliseconds",
                                       absl::ToInt64Milliseconds(RateLimitHeaders::kMinInterval),
                                       absl::ToInt64Milliseconds(RateLimitHeaders::kMaxInterval))) {
    headers.interval = absl::Milliseconds(*interval);
  }
  headers.daily_remaining = ClampedIntHeader(response, "x-hubspot-ratelimit-daily-remaining", 0,
                                             std::numeric_limits<int32_t>::max());
  return headers;
}

UpstreamAnswer ReadUpstreamAnswer(
    const absl::StatusOr<HttpResponse>& exchange, absl::Time sent, absl::Time received,
    absl::StatusOr<v1::BatchResult> (*decode_body)(absl::string_view)) {
  UpstreamAnswer answer;
  if (!exchange.ok()) {
    const absl::StatusCode code = exchange.status().code();
    answer.outcome =
        code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded
            ? AnswerOutcome::kTransient
            : AnswerOutcome::kPermanent;
    answer.result = UnansweredStatus(code, exchange.status().message());
    return answer;
  }
  const HttpResponse& response = *exchange;
  answer.http_status = response.status_code;
  answer.rate_limit = ReadRateLimitHeaders(response);
  if (auto header = response.Header("x-hubspot-correlation-id"); header.has_value()) {
    answer.correlation_id = std::string(*header);
  }
  if (response.status_code < 200 || response.status_code > 299) {
    v1::UpstreamError error = DecodeUpstreamError(response.status_code, response.body);
    if (auto header = response.Header("retry-after"); header.has_value()) {
      answer.retry_after = ParseRetryAfter(*header, received);
      if (answer.retry_after.has_value()) {
        *error.mutable_retry_after() =
            TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(*answer.retry_after));
      }
    }
    if (answer.correlation_id.empty()) answer.correlation_id = error.correlation_id();
    answer.outcome = RejectionOutcome(response.status_code, error.policy_name());
    answer.result = RejectedRequestStatus(error);
    return answer;
  }
  if (response.status_code == 204 || absl::StripAsciiWhitespace(response.body).empty()) {
    answer.outcome = AnswerOutcome::kSuccess;
    answer.result = CompletedWithoutBody(sent, received);
    return answer;
  }
  absl::StatusOr<v1::BatchResult> decoded = decode_body(response.body);
  if (!decoded.ok()) {
    answer.outcome = AnswerOutcome::kPermanent;
    answer.result = UndecodableSuccess(response, decoded.status());
    return answer;
  }
  answer.outcome = decoded->errors_size() > 0 || decoded->num_errors() > 0
                       ? AnswerOutcome::kPartial
                       : AnswerOutcome::kSuccess;
  answer.result = *std::move(decoded);
  return answer;
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  int64_t seconds = 0;
  if (absl::SimpleAtoi(value, &seconds)) {
    if (seconds < 0) return std::nullopt;
    return absl::Seconds(seconds);
  }
  absl::Time when;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", value, absl::UTCTimeZone(), &when, nullptr)) {
    return std::nullopt;
  }
  return when > now ? when - now : absl::ZeroDuration();
}

}  // namespace hubspot_gateway
