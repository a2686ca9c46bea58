#include "server/labels/labels_flags.h"

#include "absl/flags/flag.h"

namespace {
const hubspot_gateway::UnlabeledTypeCacheOptions kCacheDefaults;
}  // namespace

ABSL_FLAG(absl::Duration, association_labels_ttl, kCacheDefaults.ttl,
          "How long the labels guard trusts an object pair's association types, read from "
          "HubSpot (GET .../{from}/{to}/labels, one request of the token's budget) when a labels "
          "call lists a HUBSPOT_DEFINED type; 0: read for every such call");

namespace hubspot_gateway {

absl::StatusOr<UnlabeledTypeCacheOptions> UnlabeledTypeCacheOptionsFromFlags() {
  UnlabeledTypeCacheOptions options;
  options.ttl = absl::GetFlag(FLAGS_association_labels_ttl);
  if (options.ttl < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--association_labels_ttl must not be negative");
  }
  return options;
}

}  // namespace hubspot_gateway
