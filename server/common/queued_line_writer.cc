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

bool QueuedLineWriter::GatheringDone() const { return stopping_ || queue_.size() * 2 >= capacity_; }

void QueuedLineWriter::Run() {
  mu_.Lock();
  while (true) {
    while (queue_.empty() && unreported_ == 0 && !stopping_) wake_.Wait(&mu_);
    if (queue_.empty() && unreported_ == 0) break;  // Stopping, and everything is written.
    std::deque<std::string> batch;
    batch.swap(queue_);
    // Lines are dropped only while the queue is full, and it empties only
    // here: every line of `batch` came before the drops counted so far.
    const int64_t unreported = std::exchange(unreported_, 0);
    mu_.Unlock();
    for (const std::string& line : batch) write_(line);
    // Caught up: say what was lost, after the lines kept from before it.
    if (unreported > 0) write_(drop_notice_(unreported));
    mu_.Lock();
    mu_.AwaitWithTimeout(absl::Condition(this, &QueuedLineWriter::GatheringDone), kGatherTime);
  }
  mu_.Unlock();
}

}  // namespace hubspot_gateway
