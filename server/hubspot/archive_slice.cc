#include "server/hubspot/archive_slice.h"

#include "absl/strings/str_cat.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

const std::string& ArchiveSlice::from_id() const {
  return input != nullptr ? input->from_object().id() : label_input->from_object().id();
}

void ArchiveSlice::ForEachToId(absl::FunctionRef<void(const std::string&)> visit) const {
  if (label_input != nullptr) {
    visit(label_input->to_object().id());
    return;
  }
  for (int i = begin; i < end; ++i) visit(input->to_objects(i).id());
}

std::string ArchiveSlice::Describe() const {
  std::string text = absl::StrCat(from_id(), ":");
  if (input != nullptr) {
    for (int i = begin; i < end; ++i) {
      absl::StrAppend(&text, i == begin ? "" : ",", input->to_objects(i).id());
    }
    return text;
  }
  absl::StrAppend(&text, label_input->to_object().id(), "/");
  for (int i = begin; i < end; ++i) {
    const v1::AssociationType& type = label_input->types(i);
    absl::StrAppend(&text, i == begin ? "" : ",", v1::AssociationCategory_Name(type.category()),
                    ":", type.type_id());
  }
  return text;
}

}  // namespace hubspot_gateway
