// Validation and canonical forms of the names and ids in HubSpot CRM
// association calls: object types in URL paths ("contacts", "0-1",
// "p123_thing"), record ids in bodies ("101") and association labels
// (USER_DEFINED 36). Pure functions; safe to call from any thread.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_IDENTIFIERS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_IDENTIFIERS_H_

#include <cstdint>
#include <string>
#include <tuple>

#include "absl/strings/string_view.h"

namespace hubspot_simulator {

// An association label: HubSpot's associationCategory and associationTypeId.
struct AssociationLabel {
  std::string category;  // One of IsValidAssociationCategory's.
  int64_t type_id = 0;

  bool operator<(const AssociationLabel& other) const {
    return std::tie(category, type_id) < std::tie(other.category, other.type_id);
  }
  bool operator==(const AssociationLabel& other) const {
    return category == other.category && type_id == other.type_id;
  }
  bool operator!=(const AssociationLabel& other) const { return !(*this == other); }
};

// True for HUBSPOT_DEFINED, INTEGRATOR_DEFINED, USER_DEFINED and WORK.
bool IsValidAssociationCategory(absl::string_view category);

// The unlabeled association type of an object pair (HUBSPOT_DEFINED; its id
// depends on the pair and direction, e.g. 279 for contacts to companies and
// 280 back). Every association has it; removing it through
// batch/labels/archive removes the association with all its labels.
// Standard pairs use HubSpot's ids; any other pair uses 1.
AssociationLabel UnlabeledType(absl::string_view from_type, absl::string_view to_type);

// True for 1 to 64 characters from [A-Za-z0-9_-].
bool IsValidObjectType(absl::string_view type);

// Maps HubSpot's ids of standard objects to their names ("0-1" -> "contacts",
// "0-2" -> "companies", ...) so both spellings address the same records; any
// other type is returned unchanged.
std::string CanonicalObjectType(absl::string_view type);

// True for 1 to 20 ASCII decimal digits.
bool IsValidRecordId(absl::string_view id);

// Drops leading zeros ("007" -> "7", "000" -> "0"): ids are numbers.
std::string CanonicalRecordId(absl::string_view id);

// Numeric order of two canonical record ids (no leading zeros), which may be
// too long for a 64-bit integer.
bool RecordIdLess(absl::string_view a, absl::string_view b);

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_IDENTIFIERS_H_
