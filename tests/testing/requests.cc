#include "tests/testing/requests.h"

#include "absl/strings/str_cat.h"

namespace hubspot_gateway::testing {

namespace v1 = ::hubspot::crm::associations::v1;

v1::ArchiveAssociationsRequest SequentialRequest(int first_from, int count, int to_offset) {
  v1::ArchiveAssociationsRequest request;
  request.set_from_object_type("contacts");
  request.set_to_object_type("companies");
  for (int i = 0; i < count; ++i) {
    auto* input = request.add_inputs();
    input->mutable_from_object()->set_id(absl::StrCat(first_from + i));
    input->add_to_objects()->set_id(absl::StrCat(first_from + i + to_offset));
  }
  return request;
}

}  // namespace hubspot_gateway::testing
