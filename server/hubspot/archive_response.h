// Interprets the outcome of one batch/archive exchange with HubSpot: a
// BatchResult for a success (204, or a 200/207 BatchResponse), otherwise a
// status carrying the UpstreamError. Pure functions: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ARCHIVE_RESPONSE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ARCHIVE_RESPONSE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/http/http_transport.h"

namespace hubspot_gateway {

// `exchange` is what the transport returned for a request sent at `sent` and
// completed at `received`. Success: 204 (or any 2xx with an empty body) is
// COMPLETE timed by the gateway's clock; a 2xx body is decoded (INTERNAL when
// it cannot be). Failure: a transport error becomes UNAVAILABLE or
// DEADLINE_EXCEEDED, an HTTP rejection the code of HttpStatusToCode; each
// carries an UpstreamError (with `retry_after` when HubSpot sent one).
absl::StatusOr<hubspot::crm::associations::v1::BatchResult> InterpretArchiveExchange(
    const absl::StatusOr<HttpResponse>& exchange, absl::Time sent, absl::Time received);

// The wait a `Retry-After` value asks for: delta-seconds ("120") or an
// HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT", relative to `now`; a past date
// is zero). absl::nullopt when malformed.
absl::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ARCHIVE_RESPONSE_H_
