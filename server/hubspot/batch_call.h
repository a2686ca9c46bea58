// BatchCall names one of HubSpot's associations calls the gateway makes
// through a token's dispatcher: its HTTP method, the path after
// /{fromObjectType}/{toObjectType}/, how a chunk's slices become its JSON
// body, and how a 2xx body is decoded. Pacing, coalescing (never across
// calls), retries, merging, the call log and metrics are shared; a new call
// is a constant here plus its request's validation, chunking, encoder and
// decoder. Constants: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_BATCH_CALL_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_BATCH_CALL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/hubspot/archive_slice.h"
#include "server/hubspot/hubspot_json.h"

namespace hubspot_gateway {

struct BatchCall {
  // The URL's last part, e.g. "batch/archive".
  absl::string_view path;
  // "POST" (with the encoded body) or "GET" (no body; `encode_body` unset).
  absl::string_view method;
  std::string (*encode_body)(absl::Span<const ArchiveSlice> slices);
  // A 2xx answer's body (not empty) as a BatchResult; INTERNAL when it is not one.
  absl::StatusOr<hubspot::crm::associations::v1::BatchResult> (*decode_body)(
      absl::string_view body);
};

// Removes every association of each pair.
inline constexpr BatchCall kBatchArchive = {"batch/archive", "POST", &EncodeArchiveBody,
                                            &DecodeBatchResponse};
// Removes the listed labels of each pair and keeps the association (unless a
// label is the pair's unlabeled type: then the association goes too).
inline constexpr BatchCall kBatchLabelsArchive = {"batch/labels/archive", "POST",
                                                  &EncodeLabelsArchiveBody, &DecodeBatchResponse};
// Reads the association types of an object pair (GET, carries no inputs);
// its `results` are the types, as DecodeAssociationLabels says.
inline constexpr BatchCall kAssociationLabelsRead = {"labels", "GET", nullptr,
                                                     &DecodeAssociationLabels};

// Every batch call (to export each one's metric series at 0).
inline constexpr const BatchCall* kBatchCalls[] = {&kBatchArchive, &kBatchLabelsArchive,
                                                   &kAssociationLabelsRead};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_BATCH_CALL_H_
