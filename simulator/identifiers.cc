#include "simulator/identifiers.h"

#include <utility>

#include "absl/strings/ascii.h"

namespace hubspot_simulator {
namespace {

constexpr size_t kMaxObjectTypeLength = 64;
constexpr size_t kMaxRecordIdLength = 20;

constexpr std::pair<absl::string_view, absl::string_view> kStandardObjects[] = {
    {"0-1", "contacts"}, {"0-2", "companies"}, {"0-3", "deals"},
    {"0-5", "tickets"},  {"0-7", "products"},  {"0-8", "line_items"},
};

// HubSpot's unlabeled type ids of the standard pairs, by canonical type.
struct UnlabeledTypeId {
  absl::string_view from;
  absl::string_view to;
  int64_t type_id;
};
constexpr UnlabeledTypeId kUnlabeledTypeIds[] = {
    {"contacts", "companies", 279}, {"companies", "contacts", 280}, {"deals", "contacts", 3},
    {"contacts", "deals", 4},       {"deals", "companies", 341},    {"companies", "deals", 342},
    {"contacts", "tickets", 15},    {"tickets", "contacts", 16},    {"tickets", "companies", 339},
    {"companies", "tickets", 340},  {"deals", "line_items", 19},    {"line_items", "deals", 20},
};
constexpr int64_t kOtherPairsUnlabeledTypeId = 1;

}  // namespace

bool IsValidObjectType(absl::string_view type) {
  if (type.empty() || type.size() > kMaxObjectTypeLength) return false;
  for (char c : type) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

std::string CanonicalObjectType(absl::string_view type) {
  for (const auto& [id, name] : kStandardObjects) {
    if (type == id) return std::string(name);
  }
  return std::string(type);
}

bool IsValidRecordId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxRecordIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

std::string CanonicalRecordId(absl::string_view id) {
  const size_t first = id.find_first_not_of('0');
  if (first == absl::string_view::npos) return id.empty() ? "" : "0";
  return std::string(id.substr(first));
}

bool RecordIdLess(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

bool IsValidAssociationCategory(absl::string_view category) {
  return category == "HUBSPOT_DEFINED" || category == "INTEGRATOR_DEFINED" ||
         category == "USER_DEFINED" || category == "WORK";
}

AssociationLabel UnlabeledType(absl::string_view from_type, absl::string_view to_type) {
  const std::string from = CanonicalObjectType(from_type);
  const std::string to = CanonicalObjectType(to_type);
  for (const UnlabeledTypeId& known : kUnlabeledTypeIds) {
    if (known.from == from && known.to == to) return {"HUBSPOT_DEFINED", known.type_id};
  }
  return {"HUBSPOT_DEFINED", kOtherPairsUnlabeledTypeId};
}

}  // namespace hubspot_simulator
