// BatchMerger combines the outcomes of one call's chunks into the single
// BatchResult the caller sees, accounting for every input: a chunk that failed
// becomes a StandardError whose context names its inputs so they can be resent.
// Not thread-safe: one call's chunks are added under that call's lock.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_BATCH_MERGE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_BATCH_MERGE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/hubspot/chunking.h"

namespace hubspot_gateway {

// Adds to `error`'s context the inputs of `chunk`, so they can be sent
// again: "fromIds" (each from id once) and "inputs" (ArchiveSlice::Describe
// per input).
void AddInputsContext(const Chunk& chunk, hubspot::crm::associations::v1::StandardError& error);

// The StandardError for a chunk that failed for good with `failure`: the
// context keys fromIds and inputs (AddInputsContext), httpStatus, grpcCode,
// and category/correlationId/policyName/attempts when known.
hubspot::crm::associations::v1::StandardError ChunkFailureError(const Chunk& chunk,
                                                                const absl::Status& failure);

// How many of a finished call's inputs failed: all of them when the call
// failed, else those whose from id an error names in its `fromIds` context.
int FailedInputs(const hubspot::crm::associations::v1::ArchiveAssociationsRequest& request,
                 const absl::StatusOr<hubspot::crm::associations::v1::BatchResult>& result);
int FailedInputs(const hubspot::crm::associations::v1::ArchiveAssociationLabelsRequest& request,
                 const absl::StatusOr<hubspot::crm::associations::v1::BatchResult>& result);

class BatchMerger {
 public:
  // A chunk HubSpot answered with `result`.
  void AddSucceeded(hubspot::crm::associations::v1::BatchResult result);

  // A chunk that failed for good with `failure` (see ChunkFailureError).
  void AddFailed(const Chunk& chunk, const absl::Status& failure);

  // The merged result: status COMPLETE when every chunk that succeeded is
  // COMPLETE (else the first other status), errors concatenated (failed
  // chunks included), num_errors summed, requested/started the earliest,
  // completed the latest, results concatenated, links merged. When no chunk
  // succeeded: the first failure itself.
  absl::StatusOr<hubspot::crm::associations::v1::BatchResult> Finish() &&;

 private:
  hubspot::crm::associations::v1::BatchResult merged_;
  int succeeded_ = 0;
  absl::Status first_failure_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_BATCH_MERGE_H_
