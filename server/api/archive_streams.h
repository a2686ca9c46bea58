// ArchiveStreams is the registry of the gateway's live streams: at shutdown
// it drains them together, and it ends those idle longer than the idle
// timeout, checking every quarter of it (10 ms to 1 s) on the injected
// Scheduler while streams are open, so tests drive idleness on a manual clock.
// Streams are seen only through the LiveStream interface.
//
// Thread-safe. Lock order: a stream's registration lock, then the stream's
// own locks. ArchiveStreams' own mutex is a leaf: nothing is called while it
// is held. Drain runs LiveStream::Drain on the caller's thread; the idle
// checks run LiveStream::CheckIdle on a scheduler thread. Remove waits for a
// call into that stream under way, so a stream is never called once removed.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ARCHIVE_STREAMS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ARCHIVE_STREAMS_H_

#include <memory>

#include "absl/time/time.h"
#include "server/clock/scheduler.h"

namespace hubspot_gateway {

// A stream as ArchiveStreams sees it. Neither call may block.
class LiveStream {
 public:
  virtual ~LiveStream() = default;
  // Stop reading, finish what was read, acknowledge it, and end with
  // UNAVAILABLE.
  virtual void Drain() = 0;
  // End the stream if it has been idle too long as of `now`.
  virtual void CheckIdle(absl::Time now) = 0;
};

class ArchiveStreams {
 public:
  // `scheduler` must outlive the registry; `idle_timeout` may be infinite
  // (no checks).
  ArchiveStreams(Scheduler& scheduler, absl::Duration idle_timeout);
  // Every stream must have been removed. A check still queued on the
  // scheduler finds the registry gone and does nothing.
  ~ArchiveStreams();
  ArchiveStreams(const ArchiveStreams&) = delete;
  ArchiveStreams& operator=(const ArchiveStreams&) = delete;

  // Registers `stream` until Remove; false (not registered) once draining.
  bool Add(LiveStream* stream);
  // Unregisters `stream` (a no-op if it is not registered), after any call
  // into it under way has returned.
  void Remove(LiveStream* stream);

  // Drains every live stream; streams added later are refused.
  void Drain();

  absl::Duration idle_timeout() const { return idle_timeout_; }
  // The clock of the streams' idleness.
  Scheduler& scheduler() const { return scheduler_; }

 private:
  class Registry;

  Scheduler& scheduler_;
  const absl::Duration idle_timeout_;
  // Shared with the idle checks queued on the scheduler, which hold it
  // weakly.
  const std::shared_ptr<Registry> registry_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_ARCHIVE_STREAMS_H_
