#include "server/api/stream_flow_window.h"

#include <algorithm>

namespace hubspot_gateway {

bool StreamFlowWindow::TryStartRead(int64_t unsent_bytes, int adaptive_in_flight) {
  if (read_pending_ || in_flight_ >= std::max(limits_.max_in_flight, adaptive_in_flight) ||
      (write_pending_ && unsent_bytes > limits_.max_unsent_bytes)) {
    return false;
  }
  read_pending_ = true;
  return true;
}

void StreamFlowWindow::ReadDone(bool archiving) {
  read_pending_ = false;
  if (archiving) ++in_flight_;
}

void StreamFlowWindow::ArchiveDone() { --in_flight_; }

void StreamFlowWindow::WriteStarted() { write_pending_ = true; }

void StreamFlowWindow::WriteDone() { write_pending_ = false; }

}  // namespace hubspot_gateway
