// Splits a request's inputs into upstream-sized chunks: at most `max_per_chunk`
// inputs per chunk, and an input whose repeated part (the `to_objects` of an
// archive input, the `types` of a label input) is longer than that is split
// across chunks. Every (from, to) pair, or (pair, type), lands in exactly one
// chunk, in order. Pure functions: thread-safe; chunks are views into `request`.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_CHUNKING_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_CHUNKING_H_

#include <vector>

#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/hubspot/archive_slice.h"

namespace hubspot_gateway {

using Chunk = std::vector<ArchiveSlice>;

// `max_per_chunk` bounds both the inputs of a chunk and the `to` ids (or
// types) of one input. Requires max_per_chunk >= 1.
std::vector<Chunk> SplitIntoChunks(
    const hubspot::crm::associations::v1::ArchiveAssociationsRequest& request, int max_per_chunk);
std::vector<Chunk> SplitIntoChunks(
    const hubspot::crm::associations::v1::ArchiveAssociationLabelsRequest& request,
    int max_per_chunk);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_CHUNKING_H_
