// HubSpotRoutes serves HubSpot's CRM association batch endpoints (archive,
// labels/archive, associate/default, read) and the association-labels read
// (GET .../labels) under the date-versioned and legacy v4 paths, with HubSpot's
// auth, rate limits and injected faults; a success is answered as each
// version's spec says (see success_mode.h). Thread-safe: handlers run
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
#include "simulator/success_mode.h"

namespace hubspot_simulator {

struct HubSpotRoutesOptions {
  // Bearer tokens with every scope.
  std::vector<std::string> tokens = {"sim-token"};
  // Valid bearer tokens that lack the write scope: answered 403.
  std::vector<std::string> tokens_without_scopes;
  SuccessMode success_mode = SuccessMode::kPerVersion;
  size_t max_archive_inputs = 100;
  // batch/archive answers each pair that is not associated with a per-input
  // error of a 207, as labels/archive does (whether HubSpot does is
  // unconfirmed; by default a missing pair is fine).
  bool archive_missing_as_errors = false;
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

  // Removes the pairs; with archive_missing_as_errors, a pair that is not
  // associated is a per-input error of a 207 answer.
  void Archive(const httplib::Request& request, httplib::Response& response);
  // Removes the listed labels; an input listing the pair's unlabeled type
  // loses the association with all its labels. An input whose records are not
  // associated is a per-input error of a 207 answer.
  void ArchiveLabels(const httplib::Request& request, httplib::Response& response);
  void Associate(const httplib::Request& request, httplib::Response& response);
  void Read(const httplib::Request& request, httplib::Response& response);
  // GET .../labels: the pair's association types, the unlabeled one first
  // (label null), then each label some association of the pair carries.
  void ReadLabels(const httplib::Request& request, httplib::Response& response);

  // Counts the request and applies the simulated latency.
  Call Begin(const httplib::Request& request, httplib::Response& response);
  // Each step below either lets the call go on (true) or answers it (false):
  // auth then rate limit; then the planned fault; then path and body checks.
  bool Admit(Call& call);
  bool SurviveFault(Call& call, const FaultPlan& plan);
  bool Validate(Call& call, const std::optional<ValidationError>& body_error);

  // A batch success in the shape --success_mode gives the call's version:
  // 204, or 200 with a BatchResponse (`results`) or BatchResponseVoid; 207
  // with that body and `errors` when there are per-input errors.
  void SendBatchSuccess(Call& call, absl::Time started_at, nlohmann::json results,
                        nlohmann::json errors);
  void SendJson(Call& call, int status, const nlohmann::json& body);
  // Sends `body` (none if empty) with the rate-limit headers, a Retry-After
  // on 429 and 503 when one is configured, and counts the answer.
  void Send(Call& call, int status, const std::string& body, const char* content_type);
  // Starts an answer and aborts the connection before its body.
  void Drop(Call& call);

  const SuccessMode success_mode_;
  const size_t max_archive_inputs_;
  const bool archive_missing_as_errors_;
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
