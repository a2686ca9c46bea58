// The errors a finished stream request reports, each bounded in size, so that
// one request with a huge failure cannot make a progress message (or the
// gateway's memory) grow without bound. A request that failed as a whole is
// reported like HubSpot chunks: one error per 100 inputs, naming them. Pure
// functions; thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_ERRORS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_ERRORS_H_

#include <cstdint>
#include <deque>

#include "absl/status/statusor.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"

namespace hubspot_gateway {

// One error's serialized size after BoundError, at most.
inline constexpr int64_t kMaxStreamErrorBytes = 64 << 10;
// Inputs named per error when a whole request failed (as a HubSpot chunk).
inline constexpr int kInputsPerStreamError = 100;

// Cuts `error` down to kMaxStreamErrorBytes when larger: the message to 1 KiB,
// context lists within half the bound, nested errors dropped, and an
// "omitted" context value saying how many list values were left out.
void BoundError(hubspot::crm::associations::v1::StandardError& error);

// The errors of `request` once archived with `result`, each bounded: the
// result's own errors, or, when the request failed as a whole, one error per
// kInputsPerStreamError inputs (at least one) carrying the failure.
std::deque<hubspot::crm::associations::v1::StandardError> BoundedErrorsOf(
    const hubspot::crm::associations::v1::ArchiveAssociationsRequest& request,
    const absl::StatusOr<hubspot::crm::associations::v1::BatchResult>& result);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_ERRORS_H_
