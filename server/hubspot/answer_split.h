// Splits the answer to one upstream request that carried several chunks (of
// one call or of several calls, perhaps of different callers under one token)
// back into one BatchResult per chunk, so that no call reads another call's
// errors or records. Status, timestamps and links come from the shared answer.
//
// Which chunk gets an error (or a result) depends on the records it names:
// its `id`, and its context lists keyed fromIds/fromId/... (from side),
// toIds/toId/... (to side) or ids/objectIds/recordIds (either side); for a
// result, the ids under its "from" and "to". Ids compare as decimal record
// ids ("007" is "7").
// - It goes to every chunk with an input that matches it: the input's from is
//   among the named from ids (if any) and one of its to ids among the named to
//   ids (if any); when it names neither side, one of the input's ids is among
//   the either-side ones.
//   Two calls that sent the same pair both get it: HubSpot's answer cannot
//   tell them apart, and neither may read that pair as done.
// - Each chunk sees only its own records: record lists keep the ids of its
//   matching inputs; any other value naming a record another call sent is
//   dropped; a message naming such a record is replaced by the gateway's
//   (HubSpot's is withheld); a result's list elements naming other records are
//   dropped.
// - A chunk with no matching input never gets it, even when it sent one of
//   the named ids in another pair.
// - One that names no record of the request (or none at all): when the
//   request carried one call's chunks only, that call's first chunk gets it
//   as HubSpot sent it. When it carried several calls, no call may read it
//   (it may be about any of them): each call's first chunk gets instead an
//   error of the gateway's with HubSpot's category, listing that call's
//   inputs of the request in "fromIds" and "inputs" (whether they were
//   applied is unknown, so they are to be sent again); such a result goes to
//   no call.
// Pure function: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ANSWER_SPLIT_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ANSWER_SPLIT_H_

#include <vector>

#include "absl/types/span.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/hubspot/chunking.h"

namespace hubspot_gateway {

// One chunk an upstream request carried.
struct AnswerPart {
  const Chunk* chunk = nullptr;
  // Which call it belongs to: the parts of one call share it. Only compared.
  const void* call = nullptr;
};

// One BatchResult per element of `parts`, in order. A single part gets
// `shared` unchanged.
std::vector<hubspot::crm::associations::v1::BatchResult> SplitBatchResult(
    hubspot::crm::associations::v1::BatchResult shared, absl::Span<const AnswerPart> parts);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ANSWER_SPLIT_H_
