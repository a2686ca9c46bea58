#include "server/common/queued_line_writer.h"

#include <algorithm>
#include <utility>

namespace hubspot_gateway {

QueuedLineWriter::QueuedLineWriter(size_t capacity, WriteFn write, DropNoticeFn drop_notice)
    : capacity_(std::max<size_t>(capacity, 1)),
      write_(std::move(write)),
      drop_notice_(std::move(drop_notice)),
      thread_([this] { Run(); }) {}

QueuedLineWriter::~QueuedLineWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  wake_.Signal();
  thread_.join();
}

void QueuedLineWriter::Write(std::string line) {
  {
    absl::MutexLock lock(&mu_);
    if (queue_.size() >= capacity_) {
      ++dropped_;
      ++unreported_;
      return;
    }
    queue_.push_back(std::move(line));
  }
  wake_.Signal();
}

int64_t QueuedLineWriter::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

void QueuedLineWriter::Run() {
  while (true) {
    std::string line;
    int64_t unreported = 0;
    {
      absl::MutexLock lock(&mu_);
      while (queue_.empty() && unreported_ == 0 && !stopping_) wake_.Wait(&mu_);
      if (!queue_.empty()) {
        line = std::move(queue_.front());
        queue_.pop_front();
      } else if (unreported_ > 0) {
        // Caught up: say what was lost, after the lines kept from before it.
        unreported = std::exchange(unreported_, 0);
      } else {
        return;  // Stopping, and everything is written.
      }
    }
    if (unreported > 0) {
      write_(drop_notice_(unreported));
    } else {
      write_(line);
    }
  }
}

}  // namespace hubspot_gateway
