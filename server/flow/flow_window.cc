#include "server/flow/flow_window.h"

namespace hubspot_gateway {

void FlowWindow::Record(absl::string_view flow, absl::Time now) {
  Expire(now);
  sends_.emplace_back(now, std::string(flow));
  ++counts_[flow];
}

int FlowWindow::Total(absl::Time now) {
  Expire(now);
  return static_cast<int>(sends_.size());
}

int FlowWindow::Count(absl::string_view flow, absl::Time now) {
  Expire(now);
  auto it = counts_.find(flow);
  return it == counts_.end() ? 0 : it->second;
}

absl::Time FlowWindow::NextLeave() const {
  return sends_.empty() ? absl::InfiniteFuture() : sends_.front().first + interval_;
}

void FlowWindow::Expire(absl::Time now) {
  while (!sends_.empty() && sends_.front().first + interval_ <= now) {
    auto it = counts_.find(sends_.front().second);
    if (--it->second == 0) counts_.erase(it);
    sends_.pop_front();
  }
}

}  // namespace hubspot_gateway
