// FlowWindow counts the upstream requests each flow (caller) took part in
// over the last rolling interval, so the dispatcher can tell the heavy
// flows: those that may not take the last slots of a lane's window, which
// stay for light callers that arrive (the way APF keeps seats free for
// flows that have none). Memory is bounded by the requests of one interval.
// Not thread-safe: its owner holds it under its own lock.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_FLOW_FLOW_WINDOW_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_FLOW_FLOW_WINDOW_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hubspot_gateway {

class FlowWindow {
 public:
  explicit FlowWindow(absl::Duration interval) : interval_(interval) {}

  void set_interval(absl::Duration interval) { interval_ = interval; }

  // `flow` took part in a request sent at `now`; `interactive`: the request
  // carried some of its interactive-lane work.
  void Record(absl::string_view flow, bool interactive, absl::Time now);
  // Requests of the window ending at `now` (each counted once per flow in it).
  int Total(absl::Time now);
  // Requests of the window `flow` took part in.
  int Count(absl::string_view flow, absl::Time now);
  // Those of them that carried its interactive-lane work.
  int InteractiveCount(absl::string_view flow, absl::Time now);
  // When the oldest request leaves the window (InfiniteFuture when empty).
  absl::Time NextLeave() const;

 private:
  struct Send {
    absl::Time at;
    std::string flow;
    bool interactive;
  };
  struct Counts {
    int all = 0;
    int interactive = 0;
  };

  void Expire(absl::Time now);

  absl::Duration interval_;
  // Sends from sends_[first_] on are in the window. A vector rather than a
  // deque: one per token, and an empty deque already holds half a KiB.
  std::vector<Send> sends_;
  size_t first_ = 0;
  absl::flat_hash_map<std::string, Counts> counts_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_FLOW_FLOW_WINDOW_H_
