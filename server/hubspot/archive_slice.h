// ArchiveSlice: one request input with a sub-range of its `to_objects`, the unit
// an upstream request body is built from. A view: the request must outlive it.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ARCHIVE_SLICE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ARCHIVE_SLICE_H_

#include "hubspot/crm/associations/v1/associations_archive.pb.h"

namespace hubspot_gateway {

struct ArchiveSlice {
  const hubspot::crm::associations::v1::ArchiveInput* input;
  // The half-open range [to_begin, to_end) of input->to_objects().
  int to_begin;
  int to_end;

  // The whole input.
  static ArchiveSlice Whole(const hubspot::crm::associations::v1::ArchiveInput& input) {
    return {&input, 0, input.to_objects_size()};
  }
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_ARCHIVE_SLICE_H_
