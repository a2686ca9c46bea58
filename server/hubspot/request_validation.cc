#include "server/hubspot/request_validation.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;

constexpr size_t kMaxObjectTypeLength = 64;
constexpr size_t kMaxRecordIdLength = 20;
// Offending values are quoted up to this length in messages.
constexpr size_t kMaxQuotedLength = 40;

std::string Quote(absl::string_view value) {
  std::string shown = absl::CHexEscape(value.substr(0, kMaxQuotedLength));
  if (value.size() > kMaxQuotedLength) shown += "...";
  return shown;
}

absl::Status CheckObjectType(absl::string_view field, absl::string_view type) {
  if (IsValidObjectType(type)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": \"", Quote(type),
                   "\" is not an object type (expected 1-64 of A-Z a-z 0-9 _ -, e.g. "
                   "\"contacts\", \"0-1\", \"p123_thing\")"));
}

absl::Status CheckRecordId(const std::string& field, absl::string_view id) {
  if (IsValidRecordId(id)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": \"", Quote(id), "\" is not 1-20 decimal digits"));
}

}  // namespace

bool IsValidObjectType(absl::string_view type) {
  if (type.empty() || type.size() > kMaxObjectTypeLength) return false;
  for (char c : type) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsValidRecordId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxRecordIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

namespace {

// What every batch request shares: valid object types and at least one input.
template <typename Request>
absl::Status CheckCommon(const Request& request) {
  GATEWAY_RETURN_IF_ERROR(CheckObjectType("from_object_type", request.from_object_type()));
  GATEWAY_RETURN_IF_ERROR(CheckObjectType("to_object_type", request.to_object_type()));
  if (request.inputs().empty()) {
    return absl::InvalidArgumentError("inputs: at least one input is required");
  }
  return absl::OkStatus();
}

absl::Status CheckRecord(const std::string& field, bool present, const v1::ObjectId& record) {
  if (!present) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  return CheckRecordId(field + ".id", record.id());
}

}  // namespace

absl::Status ValidateArchiveRequest(const v1::ArchiveAssociationsRequest& request) {
  GATEWAY_RETURN_IF_ERROR(CheckCommon(request));
  for (int i = 0; i < request.inputs_size(); ++i) {
    const v1::ArchiveInput& input = request.inputs(i);
    const std::string field = absl::StrCat("inputs[", i, "]");
    GATEWAY_RETURN_IF_ERROR(
        CheckRecord(field + ".from_object", input.has_from_object(), input.from_object()));
    if (input.to_objects().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".to_objects: at least one is required"));
    }
    for (int j = 0; j < input.to_objects_size(); ++j) {
      GATEWAY_RETURN_IF_ERROR(
          CheckRecordId(absl::StrCat(field, ".to_objects[", j, "].id"), input.to_objects(j).id()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateLabelsArchiveRequest(const v1::ArchiveAssociationLabelsRequest& request) {
  GATEWAY_RETURN_IF_ERROR(CheckCommon(request));
  for (int i = 0; i < request.inputs_size(); ++i) {
    const v1::LabelArchiveInput& input = request.inputs(i);
    const std::string field = absl::StrCat("inputs[", i, "]");
    GATEWAY_RETURN_IF_ERROR(
        CheckRecord(field + ".from_object", input.has_from_object(), input.from_object()));
    GATEWAY_RETURN_IF_ERROR(
        CheckRecord(field + ".to_object", input.has_to_object(), input.to_object()));
    if (input.types().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".types: at least one is required"));
    }
    for (int j = 0; j < input.types_size(); ++j) {
      const v1::AssociationType& type = input.types(j);
      const std::string type_field = absl::StrCat(field, ".types[", j, "]");
      if (type.category() == v1::ASSOCIATION_CATEGORY_UNSPECIFIED ||
          !v1::AssociationCategory_IsValid(type.category())) {
        return absl::InvalidArgumentError(
            absl::StrCat(type_field,
                         ".category: required (HUBSPOT_DEFINED, INTEGRATOR_DEFINED, "
                         "USER_DEFINED or WORK), got ",
                         type.category()));
      }
      if (type.type_id() <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(type_field, ".type_id: must be HubSpot's associationTypeId (> 0), got ",
                         type.type_id()));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace hubspot_gateway
