// StreamFlowWindow is the flow control of one ArchiveAssociationsStream: it
// says when the stream may read its next request. One read at a time, fewer
// than `max_in_flight` requests being archived, and, while a progress write
// is under way (the caller has not yet taken the previous message), no more
// than `max_unsent_bytes` of progress waiting behind it: a caller that stops
// reading stops the stream instead of growing the gateway's memory. Not
// thread-safe: its stream reactor keeps it under the reactor's lock.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_FLOW_WINDOW_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_FLOW_WINDOW_H_

#include <cstdint>

namespace hubspot_gateway {

struct FlowLimits {
  // Requests of one stream being archived at once.
  int max_in_flight = 4;
  // Progress (errors, acknowledgements) that may wait behind a pending write
  // before the stream stops reading.
  int64_t max_unsent_bytes = 4 << 20;
};

class StreamFlowWindow {
 public:
  explicit StreamFlowWindow(FlowLimits limits) : limits_(limits) {}

  // Starts a read if the window allows one with `unsent_bytes` of progress
  // waiting to be written; returns whether it did. `adaptive_in_flight`: the
  // token's adaptive limit, which lets more be in flight when higher.
  bool TryStartRead(int64_t unsent_bytes, int adaptive_in_flight = 0);
  // The read under way completed; `archiving` when its request is now being
  // archived (counted in flight until ArchiveDone).
  void ReadDone(bool archiving);
  void ArchiveDone();
  void WriteStarted();
  void WriteDone();

  bool read_pending() const { return read_pending_; }
  bool write_pending() const { return write_pending_; }
  int in_flight() const { return in_flight_; }

 private:
  const FlowLimits limits_;
  bool read_pending_ = false;
  bool write_pending_ = false;
  int in_flight_ = 0;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_FLOW_WINDOW_H_
