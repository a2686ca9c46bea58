// What the labels guard knows and decides, as pure functions. HubSpot's
// batch/labels/archive deletes the whole association between two records,
// with all its labels, when an input lists the pair's unlabeled association
// type (HUBSPOT_DEFINED with no label; its id depends on the object types and
// the direction). UnlabeledTypesOf reads those types from HubSpot's
// association-labels read; HubSpotDefinedTypesListed picks the inputs that
// could list one (only HUBSPOT_DEFINED types can); RefuseUnlabeledTypes names
// the inputs that do. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_UNLABELED_TYPES_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_UNLABELED_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"

namespace hubspot_gateway {

// The associationTypeIds of an object pair's HUBSPOT_DEFINED types that have
// no label, in one direction (usually exactly one, e.g. 279 for contacts to
// companies).
using UnlabeledTypes = absl::flat_hash_set<int32_t>;

// The unlabeled types in the answer of HubSpot's association-labels read, as
// DecodeAssociationLabels gives it (`results` of {category, typeId, label});
// a label that is null or empty counts as none. INTERNAL when the answer
// lists no type at all (every pair has its unlabeled type, so such an answer
// says nothing) or an item is not such a struct.
absl::StatusOr<UnlabeledTypes> UnlabeledTypesOf(
    const hubspot::crm::associations::v1::BatchResult& labels_read);

// One HUBSPOT_DEFINED type listed by one input of a labels call: the only
// kind that can be a pair's unlabeled type. Copied out of the request.
struct ListedHubSpotType {
  int input = 0;  // Its index in the request's `inputs`.
  std::string from_id;
  std::string to_id;
  int32_t type_id = 0;
};

// Every HUBSPOT_DEFINED type `request` lists, in request order; empty when
// the request cannot remove an unlabeled type (nothing to read).
std::vector<ListedHubSpotType> HubSpotDefinedTypesListed(
    const hubspot::crm::associations::v1::ArchiveAssociationLabelsRequest& request);

// OK when no entry of `listed` is one of `unlabeled`; otherwise
// INVALID_ARGUMENT naming each input that lists one (index, record ids, type
// id; the first few, then how many more), why the call is refused, and how
// to send it anyway.
absl::Status RefuseUnlabeledTypes(absl::Span<const ListedHubSpotType> listed,
                                  const UnlabeledTypes& unlabeled,
                                  absl::string_view from_object_type,
                                  absl::string_view to_object_type);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_UNLABELED_TYPES_H_
