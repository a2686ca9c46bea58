#include "server/flow/flow_window.h"

namespace hubspot_gateway {

void FlowWindow::Record(absl::string_view flow, bool interactive, absl::Time now) {
  Expire(now);
  sends_.push_back({now, std::string(flow), interactive});
  Counts& counts = counts_[flow];
  ++counts.all;
  if (interactive) ++counts.interactive;
}

int FlowWindow::Total(absl::Time now) {
  Expire(now);
  return static_cast<int>(sends_.size() - first_);
}

int FlowWindow::Count(absl::string_view flow, absl::Time now) {
  Expire(now);
  auto it = counts_.find(flow);
  return it == counts_.end() ? 0 : it->second.all;
}

int FlowWindow::InteractiveCount(absl::string_view flow, absl::Time now) {
  Expire(now);
  auto it = counts_.find(flow);
  return it == counts_.end() ? 0 : it->second.interactive;
}

absl::Time FlowWindow::NextLeave() const {
  return first_ == sends_.size() ? absl::InfiniteFuture() : sends_[first_].at + interval_;
}

void FlowWindow::Expire(absl::Time now) {
  while (first_ < sends_.size() && sends_[first_].at + interval_ <= now) {
    const Send& send = sends_[first_++];
    auto it = counts_.find(send.flow);
    if (send.interactive) --it->second.interactive;
    if (--it->second.all == 0) counts_.erase(it);
  }
  // Drop what left once it is most of the vector, so each send moves once
  // on average.
  if (first_ == sends_.size()) {
    sends_.clear();
    first_ = 0;
  } else if (first_ > sends_.size() / 2) {
    sends_.erase(sends_.begin(), sends_.begin() + static_cast<std::ptrdiff_t>(first_));
    first_ = 0;
  }
}

}  // namespace hubspot_gateway
