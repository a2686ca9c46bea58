#include "server/hubspot/upstream_error_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;

// How much of a non-JSON body is quoted in a status message.
constexpr size_t kMaxQuotedBody = 120;

std::string Describe(const v1::UpstreamError& error) {
  if (error.http_status() == 0) {
    return absl::StrCat("HubSpot could not be reached: ", error.message());
  }
  std::string text = absl::StrCat("HubSpot answered HTTP ", error.http_status());
  if (!error.category().empty()) absl::StrAppend(&text, " ", error.category());
  if (!error.policy_name().empty()) absl::StrAppend(&text, " ", error.policy_name());
  if (!error.message().empty()) {
    absl::StrAppend(&text, ": ", error.message());
  } else if (!error.raw_body().empty()) {
    absl::StrAppend(&text, " with a non-JSON body: ", error.raw_body().substr(0, kMaxQuotedBody));
  }
  if (!error.correlation_id().empty()) {
    absl::StrAppend(&text, " (correlationId ", error.correlation_id(), ")");
  }
  return text;
}

}  // namespace

absl::StatusCode HttpStatusToCode(int http_status) {
  switch (http_status) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 408:
      return absl::StatusCode::kUnavailable;
    case 409:
      return absl::StatusCode::kAborted;
    case 429:
      return absl::StatusCode::kResourceExhausted;
  }
  if (http_status >= 500 && http_status <= 599) return absl::StatusCode::kUnavailable;
  if (http_status >= 400 && http_status <= 499) {
    return absl::StatusCode::kFailedPrecondition;
  }
  return absl::StatusCode::kInternal;
}

namespace {

// A status of `code` saying `message`, carrying `error`.
absl::Status WithUpstreamError(absl::StatusCode code, absl::string_view message,
                               const v1::UpstreamError& error) {
  absl::Status status(code, message);
  status.SetPayload(kUpstreamErrorTypeUrl, absl::Cord(error.SerializeAsString()));
  return status;
}

}  // namespace

absl::Status UpstreamErrorStatus(absl::StatusCode code, const v1::UpstreamError& error) {
  return WithUpstreamError(code, Describe(error), error);
}

absl::Status RejectedRequestStatus(const v1::UpstreamError& error) {
  return UpstreamErrorStatus(HttpStatusToCode(error.http_status()), error);
}

absl::Status UnansweredStatus(absl::StatusCode code, absl::string_view why) {
  v1::UpstreamError error;
  error.set_message(std::string(why));
  return UpstreamErrorStatus(code, error);
}

absl::Status DailyLimitStatus(absl::string_view why) {
  v1::UpstreamError error;
  error.set_http_status(429);
  error.set_policy_name("DAILY");
  error.set_message(std::string(why));
  return UpstreamErrorStatus(absl::StatusCode::kResourceExhausted, error);
}

absl::Status StoreDailyStopStatus(absl::string_view why) {
  v1::UpstreamError error;
  error.set_policy_name("DAILY");
  error.set_message(std::string(why));
  return WithUpstreamError(absl::StatusCode::kResourceExhausted, why, error);
}

absl::Status RateLimitWaitStatus(absl::string_view held_by, absl::Duration wait,
                                 absl::Duration time_left, const absl::Status& rate_limited) {
  const absl::Duration shown_wait = absl::Ceil(wait, absl::Milliseconds(1));
  std::string message =
      absl::StrCat("not sent: ", held_by, " lets this token's next request go in ",
                   absl::FormatDuration(shown_wait), ", after this call's deadline (",
                   absl::FormatDuration(absl::Trunc(time_left, absl::Milliseconds(1))),
                   " left), so it fails now instead of waiting; retry after the wait");
  v1::UpstreamError error;
  if (std::optional<v1::UpstreamError> cause = GetUpstreamError(rate_limited); cause.has_value()) {
    error = *std::move(cause);
    absl::StrAppend(&message, ". The pause follows: ", Describe(error));
  } else {
    error.set_message(message);
  }
  *error.mutable_retry_after() =
      google::protobuf::util::TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(shown_wait));
  absl::Status status(absl::StatusCode::kResourceExhausted, message);
  status.SetPayload(kUpstreamErrorTypeUrl, absl::Cord(error.SerializeAsString()));
  return status;
}

absl::Status WithAttempts(absl::Status status, int attempts) {
  std::optional<v1::UpstreamError> error = GetUpstreamError(status);
  if (!error.has_value()) return status;
  error->set_attempts(attempts);
  status.SetPayload(kUpstreamErrorTypeUrl, absl::Cord(error->SerializeAsString()));
  return status;
}

std::optional<v1::UpstreamError> GetUpstreamError(const absl::Status& status) {
  auto payload = status.GetPayload(kUpstreamErrorTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  v1::UpstreamError error;
  if (!error.ParseFromString(std::string(*payload))) return std::nullopt;
  return error;
}

}  // namespace hubspot_gateway
