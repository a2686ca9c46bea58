// How an upstream failure becomes the gateway's status: the HTTP -> gRPC code
// table, the status message (HubSpot's message and correlationId, never a
// token), and the UpstreamError carried as the status payload so the gRPC
// layer can attach it as a rich detail. Pure functions: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_UPSTREAM_ERROR_STATUS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_UPSTREAM_ERROR_STATUS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"

namespace hubspot_gateway {

// The type URL under which the UpstreamError payload is stored.
inline constexpr char kUpstreamErrorTypeUrl[] =
    "type.googleapis.com/hubspot.crm.associations.v1.UpstreamError";

// The gRPC code for a request HubSpot answered with `http_status` (not 2xx):
// 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
// 404 NOT_FOUND, 409 ABORTED, 429 RESOURCE_EXHAUSTED, 408 and 5xx UNAVAILABLE,
// other 4xx FAILED_PRECONDITION, anything else INTERNAL.
absl::StatusCode HttpStatusToCode(int http_status);

// A status with `code` whose message summarises `error` and whose payload is
// `error` itself.
absl::Status UpstreamErrorStatus(absl::StatusCode code,
                                 const hubspot::crm::associations::v1::UpstreamError& error);

// The failure for an answer HubSpot rejected: UpstreamErrorStatus with the
// code from HttpStatusToCode(error.http_status()).
absl::Status RejectedRequestStatus(const hubspot::crm::associations::v1::UpstreamError& error);

// A failure without an answer from HubSpot (a transport error, a call that
// stopped before its request was answered): `code`, and an UpstreamError with
// no HTTP status whose message is `why`.
absl::Status UnansweredStatus(absl::StatusCode code, absl::string_view why);

// The failure of work the gateway holds back because HubSpot's DAILY limit is
// exhausted for its token: RESOURCE_EXHAUSTED, and an UpstreamError with HTTP
// status 429, policy DAILY and `why`.
absl::Status DailyLimitStatus(absl::string_view why);

// The same when the shared budget store (not HubSpot's answer to this
// process) holds the token as stopped for the day: RESOURCE_EXHAUSTED saying
// `why`, and an UpstreamError with policy DAILY, no HTTP status (HubSpot was
// not asked) and `why`.
absl::Status StoreDailyStopStatus(absl::string_view why);

// The failure of work that cannot be sent before its caller's deadline:
// `held_by` (HubSpot's rate limit, or the budget store's shared plan of it)
// lets the token's next request go only after `wait`, while the call has
// `time_left`. RESOURCE_EXHAUSTED at once instead of a wait that
// would end in DEADLINE_EXCEEDED, with an UpstreamError whose retry_after is
// `wait`: that of the rate-limit 429 that caused the pause (`rate_limited`,
// the failure ReadUpstreamAnswer made of it: HubSpot's category, policy,
// message and correlationId) when there was one (not OK), else one with only
// that wait and the reason.
absl::Status RateLimitWaitStatus(absl::string_view held_by, absl::Duration wait,
                                 absl::Duration time_left, const absl::Status& rate_limited);

// `status` with the UpstreamError's `attempts` set (a no-op without one).
absl::Status WithAttempts(absl::Status status, int attempts);

// The UpstreamError carried by `status`, if any.
std::optional<hubspot::crm::associations::v1::UpstreamError> GetUpstreamError(
    const absl::Status& status);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_UPSTREAM_ERROR_STATUS_H_
