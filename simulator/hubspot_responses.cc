#include "simulator/hubspot_responses.h"

#include <cstdint>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hubspot_simulator {

using json = nlohmann::json;

std::string SerializeJson(const json& body) {
  return body.dump(/*indent=*/-1, /*indent_char=*/' ', /*ensure_ascii=*/false,
                   json::error_handler_t::replace);
}

std::string NewCorrelationId() {
  thread_local absl::BitGen bit_gen;
  const uint64_t high = absl::Uniform<uint64_t>(bit_gen);
  const uint64_t low = absl::Uniform<uint64_t>(bit_gen);
  // Version 4 in the 13th hex digit, variant 10xx in the 17th.
  return absl::StrFormat("%08x-%04x-4%03x-%04x-%012x", high >> 32, (high >> 16) & 0xffff,
                         high & 0x0fff, 0x8000 | ((low >> 48) & 0x3fff), low & 0xffffffffffffULL);
}

std::string FormatHubSpotTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

json AuthenticationErrorBody() {
  return {{"status", "error"},
          {"message",
           "Authentication credentials not found. This API supports OAuth 2.0 "
           "authentication and you can find more details at "
           "https://developers.hubspot.com/docs/methods/auth/oauth-overview"},
          {"correlationId", NewCorrelationId()},
          {"category", "INVALID_AUTHENTICATION"}};
}

json MissingScopesErrorBody() {
  return {
      {"status", "error"},
      {"message",
       "This app hasn't been granted all required scopes to make this call. "
       "Read more about required scopes here: "
       "https://developers.hubspot.com/scopes."},
      {"correlationId", NewCorrelationId()},
      {"category", "MISSING_SCOPES"},
      {"errors",
       json::array({{{"message", "One or more of the following scopes are required."},
                     {"context", {{"requiredGranularScopes", json::array({kRequiredScope})}}}}})},
      {"links", {{"scopes", "https://developers.hubspot.com/scopes"}}}};
}

json ValidationErrorBody(const ValidationError& error) {
  return {{"status", "error"},
          {"message", error.message},
          {"correlationId", NewCorrelationId()},
          {"category", "VALIDATION_ERROR"},
          {"errors",
           json::array({{{"message", error.detail}, {"in", error.in}, {"code", error.code}}})}};
}

json RateLimitErrorBody(RateLimitPolicy policy) {
  const char* name = "TEN_SECONDLY_ROLLING";
  const char* message = "You have reached your ten_secondly_rolling limit.";
  switch (policy) {
    case RateLimitPolicy::kTenSecondlyRolling:
      break;
    case RateLimitPolicy::kSecondly:
      name = "SECONDLY";
      message = "You have reached your secondly limit.";
      break;
    case RateLimitPolicy::kDaily:
      name = "DAILY";
      message = "You have reached your daily limit.";
      break;
  }
  return {{"status", "error"},
          {"message", message},
          {"errorType", "RATE_LIMIT"},
          {"category", "RATE_LIMITS"},
          {"correlationId", NewCorrelationId()},
          {"policyName", name},
          {"requestId", NewCorrelationId()}};
}

json ErrorBodyForStatus(int status) {
  const char* category = "VALIDATION_ERROR";
  const char* message = "The request was rejected";
  if (status >= 500) {
    category = "INTERNAL_ERROR";
    message = "Internal error";
  } else if (status == 401) {
    category = "INVALID_AUTHENTICATION";
    message = "Authentication credentials not found";
  } else if (status == 404) {
    category = "OBJECT_NOT_FOUND";
    message = "Resource not found";
  } else if (status == 409) {
    category = "CONFLICT";
    message = "Conflict";
  } else if (status == 413) {
    message = "The request body is too large";
  } else if (status == 429) {
    category = "RATE_LIMITS";
    message = "Too many requests";
  }
  return {{"status", "error"},
          {"message", message},
          {"correlationId", NewCorrelationId()},
          {"category", category}};
}

json BatchResponseBody(json results, absl::Time requested_at, absl::Time started_at,
                       absl::Time completed_at) {
  return {{"status", "COMPLETE"},
          {"results", std::move(results)},
          {"requestedAt", FormatHubSpotTime(requested_at)},
          {"startedAt", FormatHubSpotTime(started_at)},
          {"completedAt", FormatHubSpotTime(completed_at)}};
}

json NoAssociationError(absl::string_view from_type, absl::string_view to_type,
                        absl::string_view from_id, absl::string_view to_id) {
  return {{"status", "error"},
          {"category", "OBJECT_NOT_FOUND"},
          {"message",
           absl::StrCat(from_type, " ", from_id, " is not associated with ", to_type, " ", to_id)},
          {"context",
           {{"fromIds", json::array({std::string(from_id)})},
            {"toIds", json::array({std::string(to_id)})}}},
          {"errors", json::array()},
          {"links", json::object()}};
}

json AssociationTypeJson(const AssociationLabel& type, bool unlabeled) {
  return {{"category", type.category},
          {"typeId", type.type_id},
          {"label", unlabeled ? json(nullptr) : json(absl::StrCat("Label ", type.type_id))}};
}

json RecordIdJson(absl::string_view id) {
  uint64_t number = 0;
  if (absl::SimpleAtoi(id, &number)) return number;
  return std::string(id);
}

}  // namespace hubspot_simulator
