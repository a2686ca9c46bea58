// StreamIdleness decides when one ArchiveAssociationsStream has been idle
// too long (--stream_idle_timeout). A stream is active while a request is
// being archived; otherwise since it last read a request or finished its last
// one in flight. An idle stream is ended with DEADLINE_EXCEEDED; one whose
// caller has, besides, read no progress for the whole timeout (a write has
// been pending all along) can receive no last message, so it is cancelled.
// Times come from the caller (the stream's Scheduler), so tests check it on a
// manual clock. Not thread-safe: its stream reactor keeps it under the
// reactor's lock.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_IDLENESS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_IDLENESS_H_

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace hubspot_gateway {

class StreamIdleness {
 public:
  enum class Verdict {
    kActive,
    // End the stream (once what it read is acknowledged) with IdleError().
    kIdle,
    // Cancel the call: its caller reads nothing (CallerNotReadingError()).
    kCallerNotReading,
  };

  // A stream that starts at `now`; `timeout` may be InfiniteDuration.
  StreamIdleness(absl::Duration timeout, absl::Time now) : timeout_(timeout), last_active_(now) {}

  // The stream read a request, or finished its last one in flight, at `now`.
  void Active(absl::Time now) { last_active_ = now; }
  // A progress write started at `now`.
  void WriteStarted(absl::Time now) { write_started_ = now; }

  // The verdict at `now`, given whether requests are being archived and
  // whether a write is pending.
  Verdict Check(absl::Time now, bool requests_in_flight, bool write_pending) const;

  absl::Status IdleError() const;
  absl::Status CallerNotReadingError() const;

 private:
  const absl::Duration timeout_;
  absl::Time last_active_;
  absl::Time write_started_ = absl::InfinitePast();
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_IDLENESS_H_
