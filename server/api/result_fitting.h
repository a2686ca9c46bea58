// Keeps a unary call's BatchResult readable by default gRPC clients, whose
// largest message is 4 MiB: when the merged result is larger (HubSpot sent
// long error texts, or huge `results`), the parts no caller needs to resend
// anything are dropped, while every error keeps its category and the ids in
// its context, so every input stays accounted for. Pure: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_RESULT_FITTING_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_RESULT_FITTING_H_

#include <cstddef>

#include "hubspot/crm/associations/v1/associations_archive.pb.h"

namespace hubspot_gateway {

// Under gRPC's default 4 MiB, with room for the call's framing.
inline constexpr size_t kMaxUnaryResultBytes = (4 << 20) - (256 << 10);
// What an error's message is cut to when a result must shrink.
inline constexpr size_t kShrunkErrorMessageBytes = 256;

// Shrinks `result` until it serializes to at most `max_bytes`, in steps:
// first HubSpot's `results` values go, then each error's message is cut to
// kShrunkErrorMessageBytes and its details, links and sub-category go. The
// errors' status, id, category and context (the ids to resend) always stay,
// and a link "gatewayTruncated" says what was dropped. False when even that
// does not fit.
bool FitBatchResult(size_t max_bytes, hubspot::crm::associations::v1::BatchResult& result);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_RESULT_FITTING_H_
