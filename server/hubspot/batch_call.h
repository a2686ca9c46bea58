// BatchCall names one of HubSpot's associations batch calls the gateway makes:
// the path after /{fromObjectType}/{toObjectType}/ and how a chunk's slices
// become its JSON body. Pacing, coalescing (never across calls), retries,
// merging, the call log and metrics are shared; a new batch call is a constant
// here plus its request's validation, chunking and encoder. Constants: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_BATCH_CALL_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_BATCH_CALL_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/hubspot/archive_slice.h"
#include "server/hubspot/hubspot_json.h"

namespace hubspot_gateway {

struct BatchCall {
  // The URL's last part, e.g. "batch/archive".
  absl::string_view path;
  std::string (*encode_body)(absl::Span<const ArchiveSlice> slices);
};

// Removes every association of each pair.
inline constexpr BatchCall kBatchArchive = {"batch/archive", &EncodeArchiveBody};
// Removes the listed labels of each pair and keeps the association.
inline constexpr BatchCall kBatchLabelsArchive = {"batch/labels/archive", &EncodeLabelsArchiveBody};

// Every batch call (to export each one's metric series at 0).
inline constexpr const BatchCall* kBatchCalls[] = {&kBatchArchive, &kBatchLabelsArchive};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_BATCH_CALL_H_
