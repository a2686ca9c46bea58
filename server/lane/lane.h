// Lane: which queue a call's upstream work waits in. Interactive work (unary
// calls) is always served first; bulk work (streams) never takes the last
// (1 - bulk_share) of a rate window. Chosen at the gRPC edge (metadata
// `x-archive-priority`), read by the budget and the dispatcher.
// Plain values and pure functions: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_LANE_LANE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_LANE_LANE_H_

#include "absl/strings/string_view.h"

namespace hubspot_gateway {

enum class Lane { kInteractive = 0, kBulk = 1 };

// "interactive" or "bulk" (for metadata and flags); false for anything else.
bool ParseLane(absl::string_view text, Lane* lane);
const char* LaneName(Lane lane);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_LANE_LANE_H_
