// FlowWindow counts the upstream requests each flow (caller) took part in
// over the last rolling interval, so the dispatcher can tell the heavy
// flows: those that may not take the last slots of a lane's window, which
// stay for light callers that arrive (the way APF keeps seats free for
// flows that have none). Memory is bounded by the requests of one interval.
// Not thread-safe: its owner holds it under its own lock.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_FLOW_FLOW_WINDOW_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_FLOW_FLOW_WINDOW_H_

#include <deque>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hubspot_gateway {

class FlowWindow {
 public:
  explicit FlowWindow(absl::Duration interval) : interval_(interval) {}

  void set_interval(absl::Duration interval) { interval_ = interval; }

  // `flow` took part in a request sent at `now`.
  void Record(absl::string_view flow, absl::Time now);
  // Requests of the window ending at `now` (each counted once per flow in it).
  int Total(absl::Time now);
  // Requests of the window `flow` took part in.
  int Count(absl::string_view flow, absl::Time now);
  // When the oldest request leaves the window (InfiniteFuture when empty).
  absl::Time NextLeave() const;

 private:
  void Expire(absl::Time now);

  absl::Duration interval_;
  std::deque<std::pair<absl::Time, std::string>> sends_;
  absl::flat_hash_map<std::string, int> counts_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_FLOW_FLOW_WINDOW_H_
