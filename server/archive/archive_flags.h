// The command-line flags of one call's orchestration (how many of a call's
// chunks are in the dispatcher at once, and the HubSpot endpoint it calls),
// parsed and validated into ArchiverOptions. Read once at startup.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_ARCHIVE_ARCHIVE_FLAGS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_ARCHIVE_ARCHIVE_FLAGS_H_

#include "absl/status/statusor.h"
#include "server/archive/associations_archiver.h"

namespace hubspot_gateway {

// The archiver's options, its HubSpot endpoint included (endpoint_flags.h);
// INVALID_ARGUMENT naming the flag at fault.
absl::StatusOr<ArchiverOptions> ArchiverOptionsFromFlags();

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_ARCHIVE_ARCHIVE_FLAGS_H_
