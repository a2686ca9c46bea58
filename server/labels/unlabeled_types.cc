#include "server/labels/unlabeled_types.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::google::protobuf::Value;

// Inputs named in full by a refusal; the rest are counted.
constexpr int kMaxNamedInputs = 5;

// The field `key` of `type`, or nullptr.
const Value* Field(const google::protobuf::Struct& type, const char* key) {
  auto it = type.fields().find(key);
  return it == type.fields().end() ? nullptr : &it->second;
}

}  // namespace

absl::StatusOr<UnlabeledTypes> UnlabeledTypesOf(const v1::BatchResult& labels_read) {
  if (labels_read.results_size() == 0) {
    return absl::InternalError(
        "HubSpot's association labels answer lists no association type for the pair");
  }
  UnlabeledTypes unlabeled;
  for (int i = 0; i < labels_read.results_size(); ++i) {
    const Value& item = labels_read.results(i);
    const Value* category =
        item.has_struct_value() ? Field(item.struct_value(), "category") : nullptr;
    const Value* type_id = item.has_struct_value() ? Field(item.struct_value(), "typeId") : nullptr;
    const Value* label = item.has_struct_value() ? Field(item.struct_value(), "label") : nullptr;
    if (category == nullptr || !category->has_string_value() || type_id == nullptr ||
        !type_id->has_number_value()) {
      return absl::InternalError(
          absl::StrCat("HubSpot's association labels answer has no category and typeId at "
                       "results[",
                       i, "]"));
    }
    const bool labeled =
        label != nullptr && label->has_string_value() && !label->string_value().empty();
    if (category->string_value() == "HUBSPOT_DEFINED" && !labeled) {
      unlabeled.insert(static_cast<int32_t>(type_id->number_value()));
    }
  }
  return unlabeled;
}

std::vector<ListedHubSpotType> HubSpotDefinedTypesListed(
    const v1::ArchiveAssociationLabelsRequest& request) {
  std::vector<ListedHubSpotType> listed;
  for (int i = 0; i < request.inputs_size(); ++i) {
    const v1::LabelArchiveInput& input = request.inputs(i);
    for (const v1::AssociationType& type : input.types()) {
      if (type.category() != v1::HUBSPOT_DEFINED) continue;
      listed.push_back({i, input.from_object().id(), input.to_object().id(), type.type_id()});
    }
  }
  return listed;
}

absl::Status RefuseUnlabeledTypes(absl::Span<const ListedHubSpotType> listed,
                                  const UnlabeledTypes& unlabeled,
                                  absl::string_view from_object_type,
                                  absl::string_view to_object_type) {
  std::string named;
  int refused = 0;
  int last_input = -1;
  for (const ListedHubSpotType& type : listed) {
    // An input listing several unlabeled types is named once, with the first.
    if (!unlabeled.contains(type.type_id) || type.input == last_input) continue;
    last_input = type.input;
    if (++refused <= kMaxNamedInputs) {
      absl::StrAppend(&named, refused == 1 ? "" : "; ", "inputs[", type.input, "] (from ",
                      type.from_id, " to ", type.to_id, ") lists HUBSPOT_DEFINED ", type.type_id);
    }
  }
  if (refused == 0) return absl::OkStatus();
  if (refused > kMaxNamedInputs) {
    absl::StrAppend(&named, "; and ", refused - kMaxNamedInputs, " more inputs");
  }
  return absl::InvalidArgumentError(absl::StrCat(
      named, ": the unlabeled association type of ", from_object_type, " to ", to_object_type,
      ". HubSpot would delete the whole association with all its labels, not one label. "
      "Nothing was removed. To remove the whole association, use ArchiveAssociations or set "
      "remove_association_if_unlabeled"));
}

}  // namespace hubspot_gateway
