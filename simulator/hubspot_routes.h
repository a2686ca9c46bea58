// HubSpotRoutes serves HubSpot's CRM association batch endpoints (archive,
// labels/archive, associate/default, read) under the date-versioned and legacy v4 paths, with
// HubSpot's auth, rate limits and injected faults. Thread-safe: handlers run
// concurrently on cpp-httplib's pool and share only thread-safe collaborators.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_HUBSPOT_ROUTES_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_HUBSPOT_ROUTES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "simulator/association_store.h"
#include "simulator/batch_request_parser.h"
#include "simulator/fault_injector.h"
#include "simulator/rate_limiter.h"
#include "simulator/simulator_stats.h"
#include "simulator/sleep_gate.h"

namespace hubspot_simulator {

// How a successful batch/archive is answered.
enum class SuccessMode {
  kNoContent,      // 204 without a body (HubSpot's v4 spec).
  kBatchResponse,  // 200 with a BatchResponse body (the 2026-03 spec).
};

struct HubSpotRoutesOptions {
  // Bearer tokens with every scope.
  std::vector<std::string> tokens = {"sim-token"};
  // Valid bearer tokens that lack the write scope: answered 403.
  std::vector<std::string> tokens_without_scopes;
  SuccessMode success_mode = SuccessMode::kNoContent;
  size_t max_archive_inputs = 100;
};

class HubSpotRoutes {
 public:
  // The collaborators must outlive this object.
  HubSpotRoutes(const HubSpotRoutesOptions& options, AssociationStore* store, RateLimiter* limiter,
                FaultInjector* faults, SleepGate* gate, SimulatorStats* stats);

  HubSpotRoutes(const HubSpotRoutes&) = delete;
  HubSpotRoutes& operator=(const HubSpotRoutes&) = delete;

  void Register(httplib::Server* server);

 private:
  struct Call;

  void Archive(const httplib::Request& request, httplib::Response& response);
  // Removes the listed labels; an input whose records are not associated is
  // a per-input error of a 207 answer.
  void ArchiveLabels(const httplib::Request& request, httplib::Response& response);
  void Associate(const httplib::Request& request, httplib::Response& response);
  void Read(const httplib::Request& request, httplib::Response& response);

  // Counts the request and applies the simulated latency.
  Call Begin(const httplib::Request& request, httplib::Response& response);
  // Each step below either lets the call go on (true) or answers it (false):
  // auth then rate limit; then the planned fault; then path and body checks.
  bool Admit(Call& call);
  bool SurviveFault(Call& call, const FaultPlan& plan);
  bool Validate(Call& call, const std::optional<ValidationError>& body_error);

  // 204, or 200 with a BatchResponse (per --success_mode).
  void SendArchived(Call& call, absl::Time started_at);
  void SendJson(Call& call, int status, const nlohmann::json& body);
  // Sends `body` (none if empty) with the rate-limit headers, a Retry-After
  // on 429 and 503 when one is configured, and counts the answer.
  void Send(Call& call, int status, const std::string& body, const char* content_type);
  // Starts an answer and aborts the connection before its body.
  void Drop(Call& call);

  const SuccessMode success_mode_;
  const size_t max_archive_inputs_;
  const absl::flat_hash_set<std::string> tokens_;
  const absl::flat_hash_set<std::string> tokens_without_scopes_;
  AssociationStore* const store_;
  RateLimiter* const limiter_;
  FaultInjector* const faults_;
  SleepGate* const gate_;
  SimulatorStats* const stats_;
};

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_HUBSPOT_ROUTES_H_
