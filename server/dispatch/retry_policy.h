// The two small policies of the upstream retry loop, value types built from
// flags: RetryPolicy (which failures, how many attempts), BackoffPolicy (how
// long to wait: exponential with full jitter, or HubSpot's Retry-After). No
// idempotency policy: archiving is idempotent, so repeating a request is safe.
// Immutable and thread-safe; randomness is passed in so tests are exact.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_RETRY_POLICY_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_RETRY_POLICY_H_

#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace hubspot_gateway {

struct RetryPolicy {
  // Attempts per upstream request, the first included (1 = never retry).
  int max_attempts = 4;

  // Whether `failure` is worth another attempt: UNAVAILABLE (5xx, refused or
  // dropped connections), DEADLINE_EXCEEDED of one attempt, and
  // RESOURCE_EXHAUSTED for HubSpot's rolling ten-second limit. Never the
  // DAILY limit (nothing helps before the reset) nor any other 4xx.
  bool IsTransient(const absl::Status& failure) const;
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
