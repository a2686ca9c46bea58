#include "server/api/stream_idleness.h"

#include "absl/strings/str_cat.h"

namespace hubspot_gateway {

StreamIdleness::Verdict StreamIdleness::Check(absl::Time now, bool requests_in_flight,
                                              bool write_pending) const {
  const absl::Time idle_since = now - timeout_;
  if (requests_in_flight || last_active_ > idle_since) return Verdict::kActive;
  // A caller that has read no progress for the whole timeout keeps a write
  // pending, so no last message can reach it: only cancelling ends the
  // stream. What it was not sent stays unacknowledged, safe to resend.
  if (write_pending && write_started_ <= idle_since) return Verdict::kCallerNotReading;
  return Verdict::kIdle;
}

absl::Status StreamIdleness::IdleError() const {
  return absl::DeadlineExceededError(absl::StrCat(
      "stream idle for ", absl::FormatDuration(timeout_),
      " (no request read and none in flight; --stream_idle_timeout): ended by the gateway"));
}

absl::Status StreamIdleness::CallerNotReadingError() const {
  return absl::DeadlineExceededError(
      absl::StrCat("stream idle for ", absl::FormatDuration(timeout_),
                   " with its caller reading no progress (--stream_idle_timeout): cancelled by "
                   "the gateway"));
}

}  // namespace hubspot_gateway
