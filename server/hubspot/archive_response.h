// Reads one exchange with HubSpot (a batch call, or a labels read) once: what it means
// (AnswerOutcome), a BatchResult for a success (204, or a 200/207
// BatchResponse), otherwise a status carrying the UpstreamError, and the
// rate-limit headers. Pure functions: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ARCHIVE_RESPONSE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ARCHIVE_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/http/http_transport.h"
#include "server/hubspot/answer_outcome.h"
#include "server/hubspot/hubspot_json.h"

namespace hubspot_gateway {

// What an answer's X-HubSpot-RateLimit-* headers said. Values from upstream
// are untrusted: each is clamped to a sane range, and a malformed one is unset.
struct RateLimitHeaders {
  // Requests per interval: [1, kMaxAdvertisedRequests].
  std::optional<int> max;
  // Requests left in the current interval: [0, kMaxAdvertisedRequests].
  std::optional<int> remaining;
  // The rolling interval: [kMinInterval, kMaxInterval].
  std::optional<absl::Duration> interval;
  // Requests left today (absent for OAuth calls).
  std::optional<int64_t> daily_remaining;

  static constexpr int kMaxAdvertisedRequests = 100000;
  static constexpr absl::Duration kMinInterval = absl::Milliseconds(100);
  static constexpr absl::Duration kMaxInterval = absl::Hours(1);
};

// One upstream exchange, read once into what every consumer needs: the
// dispatcher (rate-limit headers, the outcome, Retry-After), the budget and
// the retry policy (the outcome), the merge (the result or the failure), the
// call log (correlation id).
struct UpstreamAnswer {
  // The HTTP status; 0 when no answer arrived.
  int http_status = 0;
  // What the answer means, decided once by ReadUpstreamAnswer: every consumer
  // reads this instead of the status code, the body or the failure.
  AnswerOutcome outcome = AnswerOutcome::kTransient;
  // Success: 204 (or any 2xx with an empty body) is COMPLETE timed by the
  // gateway's clock; a 2xx body is decoded (INTERNAL when it cannot be).
  // Failure: a transport error becomes UNAVAILABLE or DEADLINE_EXCEEDED, an
  // HTTP rejection the code of HttpStatusToCode; each carries an
  // UpstreamError (with `retry_after` when HubSpot sent one).
  absl::StatusOr<hubspot::crm::associations::v1::BatchResult> result;
  RateLimitHeaders rate_limit;
  // As HubSpot asked (unclamped: the budget bounds it).
  std::optional<absl::Duration> retry_after;
  // The x-hubspot-correlation-id header, else the error body's correlationId.
  std::string correlation_id;
};

// Reads `exchange` (sent at `sent`, completed at `received`) once. The
// outcome: a 2xx is kSuccess, or kPartial when its BatchResponse reports
// errors, or kPermanent when it cannot be decoded; a 429 is kDailyLimit when
// its policyName is DAILY, else kRollingLimit whatever its body; no answer
// (UNAVAILABLE or DEADLINE_EXCEEDED), 408 and 5xx are kTransient; anything
// else is kPermanent. A 2xx body that is not empty is decoded by
// `decode_body` (the call's: a BatchResponse unless said otherwise).
UpstreamAnswer ReadUpstreamAnswer(const absl::StatusOr<HttpResponse>& exchange, absl::Time sent,
                                  absl::Time received,
                                  absl::StatusOr<hubspot::crm::associations::v1::BatchResult> (
                                      *decode_body)(absl::string_view body) = &DecodeBatchResponse);

// The X-HubSpot-RateLimit-* headers of `response`, clamped.
RateLimitHeaders ReadRateLimitHeaders(const HttpResponse& response);

// The wait a `Retry-After` value asks for: delta-seconds ("120") or an
// HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT", relative to `now`; a past date
// is zero). std::nullopt when malformed.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ARCHIVE_RESPONSE_H_
