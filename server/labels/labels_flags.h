// The command-line flags of the labels guard (--association_labels_ttl),
// parsed and validated into UnlabeledTypeCacheOptions. Read once at startup.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_LABELS_FLAGS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_LABELS_FLAGS_H_

#include "absl/status/statusor.h"
#include "server/labels/unlabeled_type_cache.h"

namespace hubspot_gateway {

// INVALID_ARGUMENT naming the flag at fault.
absl::StatusOr<UnlabeledTypeCacheOptions> UnlabeledTypeCacheOptionsFromFlags();

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_LABELS_FLAGS_H_
