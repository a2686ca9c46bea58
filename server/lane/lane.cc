#include "server/lane/lane.h"

namespace hubspot_gateway {

bool ParseLane(absl::string_view text, Lane* lane) {
  if (text == "interactive") {
    *lane = Lane::kInteractive;
  } else if (text == "bulk") {
    *lane = Lane::kBulk;
  } else {
    return false;
  }
  return true;
}

const char* LaneName(Lane lane) { return lane == Lane::kBulk ? "bulk" : "interactive"; }

}  // namespace hubspot_gateway
