// Checks an ArchiveAssociationsRequest (or ArchiveAssociationLabelsRequest) before anything is sent
// upstream, so a bad request is answered INVALID_ARGUMENT naming the offending field and never
// reaches HubSpot. Pure functions: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_REQUEST_VALIDATION_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_REQUEST_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"

namespace hubspot_gateway {

// OK, or INVALID_ARGUMENT naming the first offending field, e.g.
// "inputs[3].to_objects[1].id: \"12a\" is not 1-20 decimal digits".
absl::Status ValidateArchiveRequest(
    const hubspot::crm::associations::v1::ArchiveAssociationsRequest& request);

// The same for labels, e.g. "inputs[0].types[1].category: required (...)" or
// "inputs[2].to_object: required".
absl::Status ValidateLabelsArchiveRequest(
    const hubspot::crm::associations::v1::ArchiveAssociationLabelsRequest& request);

// True for object types HubSpot accepts in a path: ^[A-Za-z0-9_-]{1,64}$
// ("contacts", "0-1", "2-123456", "p123_thing").
bool IsValidObjectType(absl::string_view type);

// True for record ids: 1 to 20 decimal digits.
bool IsValidRecordId(absl::string_view id);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_REQUEST_VALIDATION_H_
