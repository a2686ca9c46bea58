// AnswerOutcome is what one upstream exchange means, decided once when the
// answer is read (ReadUpstreamAnswer) and shared by every consumer: the budget
// (lower the limit, stop the token), the retry policy (try again or not), the
// metrics and the call log. Nothing else looks at status codes or policy
// names to decide it again. Pure values: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ANSWER_OUTCOME_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ANSWER_OUTCOME_H_

#include "absl/strings/string_view.h"

namespace hubspot_gateway {

enum class AnswerOutcome {
  // A 2xx whose BatchResponse (if any) reports no errors.
  kSuccess,
  // A 2xx (usually 207) whose BatchResponse reports errors for some inputs.
  kPartial,
  // A 429 that is not HubSpot's DAILY limit: TEN_SECONDLY_ROLLING, SECONDLY,
  // an unknown policy, no body, or a body that is not JSON. Waiting helps.
  kRollingLimit,
  // A 429 with policyName DAILY: nothing helps before the daily reset.
  kDailyLimit,
  // No answer (refused, dropped, timed out), 408 or 5xx: another attempt may work.
  kTransient,
  // Any other rejection (400, 401, 403, 404, 409, other 4xx), or a 2xx body
  // that cannot be decoded: the same request would fail again.
  kPermanent,
};

// Every outcome, in declaration order (to export each one's series at 0).
inline constexpr AnswerOutcome kAnswerOutcomes[] = {
    AnswerOutcome::kSuccess,    AnswerOutcome::kPartial,   AnswerOutcome::kRollingLimit,
    AnswerOutcome::kDailyLimit, AnswerOutcome::kTransient, AnswerOutcome::kPermanent};

// "success", "partial", "rolling_limit", "daily_limit", "transient",
// "permanent": the outcome as a metric label.
constexpr absl::string_view AnswerOutcomeName(AnswerOutcome outcome) {
  switch (outcome) {
    case AnswerOutcome::kSuccess:
      return "success";
    case AnswerOutcome::kPartial:
      return "partial";
    case AnswerOutcome::kRollingLimit:
      return "rolling_limit";
    case AnswerOutcome::kDailyLimit:
      return "daily_limit";
    case AnswerOutcome::kTransient:
      return "transient";
    case AnswerOutcome::kPermanent:
      return "permanent";
  }
  return "permanent";
}

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ANSWER_OUTCOME_H_
