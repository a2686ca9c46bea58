// Splits the answer to one upstream request that carried several calls'
// chunks back into one BatchResult per chunk: status, timestamps and links
// come from the shared answer; an error (or result) that names records by
// `id` or in its `context` id lists goes only to the chunks that sent them,
// with the lists narrowed to that chunk's own ids; one that names no record
// of the request goes to every chunk. Pure function: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ANSWER_SPLIT_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ANSWER_SPLIT_H_

#include <vector>

#include "absl/types/span.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/hubspot/chunking.h"

namespace hubspot_gateway {

// One BatchResult per element of `parts`, in order. A single part gets
// `shared` unchanged.
std::vector<hubspot::crm::associations::v1::BatchResult> SplitBatchResult(
    hubspot::crm::associations::v1::BatchResult shared, absl::Span<const Chunk* const> parts);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ANSWER_SPLIT_H_
