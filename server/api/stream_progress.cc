#include "server/api/stream_progress.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

uint64_t StreamProgress::Read(int inputs) {
  // Not news on its own: the counts go out with the next finished request.
  counts_.inputs_received += inputs;
  return static_cast<uint64_t>(counts_.requests_read++);
}

void StreamProgress::CountUpstream(int requests) {
  counts_.upstream_requests += requests;
  changed_ = true;
}

void StreamProgress::Finished(uint64_t position, int inputs_archived, int inputs_failed,
                              std::deque<v1::StandardError> errors) {
  counts_.inputs_archived += inputs_archived;
  counts_.inputs_failed += inputs_failed;
  int64_t bytes = kEntryOverhead;
  for (const v1::StandardError& error : errors) {
    bytes += static_cast<int64_t>(error.ByteSizeLong()) + kEntryOverhead;
  }
  unsent_bytes_ += bytes;
  unsent_.push_back(Unsent{position, std::move(errors)});
  changed_ = true;
}

v1::ArchiveProgress StreamProgress::Next(bool finished) {
  v1::ArchiveProgress message;
  message.set_inputs_received(counts_.inputs_received);
  message.set_inputs_archived(counts_.inputs_archived);
  message.set_inputs_failed(counts_.inputs_failed);
  message.set_upstream_requests(counts_.upstream_requests);
  message.set_requests_read(counts_.requests_read);
  TakeUnsent(message);
  message.set_done(finished && unsent_.empty());
  changed_ = false;
  return message;
}

void StreamProgress::TakeUnsent(v1::ArchiveProgress& message) {
  int64_t bytes = 0;
  std::vector<int64_t> acknowledged;
  while (!unsent_.empty() &&
         static_cast<int>(acknowledged.size()) < limits_.max_message_acknowledgements) {
    Unsent& next = unsent_.front();
    while (!next.errors.empty()) {
      const int64_t size = next.errors.front().ByteSizeLong() + kEntryOverhead;
      // A message always carries at least one error, so each makes progress.
      if (message.errors_size() > 0 && (bytes + size > limits_.max_message_bytes ||
                                        message.errors_size() >= limits_.max_message_errors)) {
        break;
      }
      bytes += size;
      unsent_bytes_ -= size;
      *message.add_errors() = std::move(next.errors.front());
      message.add_error_positions(static_cast<int64_t>(next.position));
      next.errors.pop_front();
    }
    if (!next.errors.empty()) break;  // The message is full.
    acknowledged.push_back(static_cast<int64_t>(next.position));
    unsent_bytes_ -= kEntryOverhead;
    unsent_.pop_front();
  }
  std::sort(acknowledged.begin(), acknowledged.end());
  for (int64_t position : acknowledged) message.add_acknowledged(position);
}

}  // namespace hubspot_gateway
