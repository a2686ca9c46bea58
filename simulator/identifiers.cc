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

}  // namespace hubspot_simulator
