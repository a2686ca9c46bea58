// FaultInjector decides which simulated failure, if any, each HubSpot-route
// request suffers: random rates drawn per request, and "next N" counters armed
// by admin calls and consumed one per archive request. Thread-safe: one mutex,
// held only while deciding, never while a request sleeps.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_FAULT_INJECTOR_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_FAULT_INJECTOR_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "nlohmann/json.hpp"

namespace hubspot_simulator {

// Field names match the JSON of /_admin/faults and the command-line flags.
struct FaultSettings {
  int64_t latency_ms = 0;  // Added to every HubSpot-route request.
  // Fractions of HubSpot-route requests, in [0, 1]; one draw per request picks
  // at most one of them, in this order.
  double error_rate = 0;
  double drop_rate = 0;
  double malformed_rate = 0;
  double hang_rate = 0;
  int error_status = 503;  // Status of injected errors, 400..599.
  int64_t hang_ms = 60000;
  // Deterministic counters, consumed one per archive request; when several are
  // armed, the first non-zero one in this order is taken.
  int64_t rate_limit_next = 0;
  int64_t secondly_limit_next = 0;
  int64_t bodyless_rate_limit_next = 0;
  int64_t daily_limit_next = 0;
  int64_t fail_next = 0;
  int64_t html_error_next = 0;
  int64_t drop_next = 0;
  int64_t malformed_next = 0;
  int64_t hang_next = 0;
  // Consumed one per association-labels read (GET .../labels), which the
  // counters above never touch: the next N reads answer error_status.
  int64_t labels_read_fail_next = 0;
  std::string retry_after;  // Empty: 429s and 503s carry no Retry-After.
  // Archive requests with any of these from ids (exact strings) always fail
  // with error_status, unless an armed counter takes them first.
  absl::flat_hash_set<std::string> fail_from_ids;
};

// Applies the fields present in `patch` (a JSON object such as the body of
// POST /_admin/faults) to `settings`. On an unknown field, a wrong type or an
// out-of-range value, returns InvalidArgument and leaves `settings` unchanged.
// A null or empty `retry_after` clears it; `fail_from_ids` replaces the set.
absl::Status ApplyFaultPatch(const nlohmann::json& patch, FaultSettings* settings);

// All settings as JSON, in the form ApplyFaultPatch accepts.
nlohmann::json FaultSettingsToJson(const FaultSettings& settings);

enum class Fault {
  kNone,
  kError,              // Answer error_status with HubSpot's 5xx body.
  kDrop,               // Abort the connection mid-response.
  kMalformed,          // Answer 200 with a truncated JSON body.
  kHang,               // Wait hang_ms (or until released), then answer normally.
  kRateLimit,          // 429 TEN_SECONDLY_ROLLING.
  kSecondlyLimit,      // 429 SECONDLY (a policy HubSpot uses on other APIs).
  kBodylessRateLimit,  // 429 with no body, as a proxy in front of HubSpot sends.
  kDailyLimit,         // 429 DAILY.
  kHtmlError,          // 502 with an HTML body.
};

// What to do to one request, with the settings it needs.
struct FaultPlan {
  Fault fault = Fault::kNone;
  int error_status = 503;
  absl::Duration hang;
};

class FaultInjector {
 public:
  // `initial` are the settings at start, restored by Reset(); must be valid.
  explicit FaultInjector(FaultSettings initial);

  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // Decides the fault for an archive request whose body names `from_ids`:
  // armed counters first, then fail_from_ids, then the rates.
  FaultPlan PlanArchive(absl::Span<const std::string> from_ids);

  // Decides the fault for an association-labels read: labels_read_fail_next,
  // then the rates.
  FaultPlan PlanLabelsRead();

  // Decides the fault for any other HubSpot route: only the rates apply.
  FaultPlan PlanOther();

  absl::Duration Latency() const;
  std::string RetryAfter() const;

  absl::Status Apply(const nlohmann::json& patch);
  nlohmann::json ToJson() const;
  void Reset();

 private:
  FaultPlan Plan(Fault fault) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  FaultPlan PlanFromRates() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const FaultSettings initial_;
  mutable absl::Mutex mu_;
  FaultSettings current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_FAULT_INJECTOR_H_
