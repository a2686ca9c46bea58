// The two small policies of the upstream retry loop, value types built from
// flags: RetryPolicy (which failures, how many attempts), BackoffPolicy (how
// long to wait: exponential with full jitter, or HubSpot's Retry-After). No
// idempotency policy: archiving is idempotent, so repeating a request is safe.
// Immutable and thread-safe (no locks, no callbacks); randomness is passed in
// so tests are exact, and the caller guards a shared generator.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_RETRY_POLICY_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_RETRY_POLICY_H_

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"
#include "server/hubspot/answer_outcome.h"

namespace hubspot_gateway {

struct RetryPolicy {
  // Attempts per upstream request, the first included (1 = never retry).
  int max_attempts = 4;

  // Whether an answer of `outcome` is worth another attempt: a transient
  // failure (no answer, 408, 5xx) and every 429 but the DAILY limit, which
  // nothing helps before the reset. Never a success nor a permanent failure.
  static bool IsRetryable(AnswerOutcome outcome);
};

struct BackoffPolicy {
  absl::Duration initial_delay = absl::Milliseconds(200);
  absl::Duration max_delay = absl::Seconds(10);
  double multiplier = 2.0;

  // The wait before retry number `retry` (1 for the second attempt): uniform
  // in [0, min(max_delay, initial_delay * multiplier^(retry-1))] ("full
  // jitter"). When HubSpot asked for `retry_after` (zero if not), at least
  // that long.
  absl::Duration DelayBefore(int retry, absl::Duration retry_after, absl::BitGenRef random) const;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_RETRY_POLICY_H_
