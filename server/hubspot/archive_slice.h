// ArchiveSlice: one request input with a sub-range of its repeated part, the
// unit an upstream request body is built from: an ArchiveInput with a range of
// its `to_objects` (batch/archive), or a LabelArchiveInput with a range of its
// `types` (batch/labels/archive). A view: the request must outlive it.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ARCHIVE_SLICE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ARCHIVE_SLICE_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"

namespace hubspot_gateway {

struct ArchiveSlice {
  // Exactly one of the two is set.
  const hubspot::crm::associations::v1::ArchiveInput* input = nullptr;
  const hubspot::crm::associations::v1::LabelArchiveInput* label_input = nullptr;
  // The half-open range [begin, end) of input->to_objects() or label_input->types().
  int begin = 0;
  int end = 0;

  static ArchiveSlice Of(const hubspot::crm::associations::v1::ArchiveInput& input, int begin,
                         int end) {
    return {&input, nullptr, begin, end};
  }
  static ArchiveSlice Of(const hubspot::crm::associations::v1::LabelArchiveInput& input, int begin,
                         int end) {
    return {nullptr, &input, begin, end};
  }
  // The whole input.
  static ArchiveSlice Whole(const hubspot::crm::associations::v1::ArchiveInput& input) {
    return Of(input, 0, input.to_objects_size());
  }
  static ArchiveSlice Whole(const hubspot::crm::associations::v1::LabelArchiveInput& input) {
    return Of(input, 0, input.types_size());
  }

  const std::string& from_id() const;
  // Calls `visit` with each `to` id the slice sends: its range of to_objects,
  // or the one to_object of a label input.
  void ForEachToId(absl::FunctionRef<void(const std::string&)> visit) const;
  // The slice as a caller would send it again: "from:to,to" for archive,
  // "from:to/CATEGORY:typeId,CATEGORY:typeId" for labels.
  std::string Describe() const;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ARCHIVE_SLICE_H_
