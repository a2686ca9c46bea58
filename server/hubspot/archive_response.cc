#include "server/hubspot/archive_response.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
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

absl::Status TransportFailure(const absl::Status& transport_status) {
  v1::UpstreamError error;
  error.set_message(std::string(transport_status.message()));
  return UpstreamErrorStatus(transport_status.code(), error);
}

absl::Status UndecodableSuccess(const HttpResponse& response, const absl::Status& decode) {
  v1::UpstreamError error = DecodeUpstreamError(response.status_code, response.body);
  error.set_message(std::string(decode.message()));
  return UpstreamErrorStatus(absl::StatusCode::kInternal, error);
}

absl::Status Rejection(const HttpResponse& response, absl::Time received) {
  v1::UpstreamError error = DecodeUpstreamError(response.status_code, response.body);
  if (auto header = response.Header("retry-after"); header.has_value()) {
    if (auto wait = ParseRetryAfter(*header, received); wait.has_value()) {
      *error.mutable_retry_after() =
          TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(*wait));
    }
  }
  return RejectedRequestStatus(error);
}

}  // namespace

absl::StatusOr<v1::BatchResult> InterpretArchiveExchange(
    const absl::StatusOr<HttpResponse>& exchange, absl::Time sent, absl::Time received) {
  if (!exchange.ok()) return TransportFailure(exchange.status());
  const HttpResponse& response = *exchange;
  if (response.status_code < 200 || response.status_code > 299) {
    return Rejection(response, received);
  }
  if (response.status_code == 204 || absl::StripAsciiWhitespace(response.body).empty()) {
    return CompletedWithoutBody(sent, received);
  }
  absl::StatusOr<v1::BatchResult> result = DecodeBatchResponse(response.body);
  if (!result.ok()) return UndecodableSuccess(response, result.status());
  return result;
}

namespace {

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

UpstreamAnswer ReadUpstreamAnswer(const absl::StatusOr<HttpResponse>& exchange, absl::Time sent,
                                  absl::Time received) {
  UpstreamAnswer answer;
  answer.result = InterpretArchiveExchange(exchange, sent, received);
  const std::optional<v1::UpstreamError> error = GetUpstreamError(answer.result.status());
  if (error.has_value()) {
    answer.policy_name = error->policy_name();
    answer.correlation_id = error->correlation_id();
    if (error->has_retry_after()) {
      answer.retry_after = absl::Nanoseconds(TimeUtil::DurationToNanoseconds(error->retry_after()));
    }
  }
  if (!exchange.ok()) return answer;
  answer.http_status = exchange->status_code;
  answer.rate_limit = ReadRateLimitHeaders(*exchange);
  if (auto header = exchange->Header("x-hubspot-correlation-id"); header.has_value()) {
    answer.correlation_id = std::string(*header);
  }
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
