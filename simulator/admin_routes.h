// AdminRoutes serves the simulator's control API under /_admin/ (seeding and
// listing associations, counters, fault settings, reset) for tests, demos and
// benchmarks; no auth, no rate limits. Thread-safe: handlers only call
// thread-safe collaborators.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_ADMIN_ROUTES_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_ADMIN_ROUTES_H_

#include "httplib.h"
#include "simulator/association_store.h"
#include "simulator/fault_injector.h"
#include "simulator/rate_limiter.h"
#include "simulator/simulator_stats.h"
#include "simulator/sleep_gate.h"

namespace hubspot_simulator {

class AdminRoutes {
 public:
  // The collaborators must outlive this object.
  AdminRoutes(AssociationStore* store, RateLimiter* limiter, FaultInjector* faults, SleepGate* gate,
              SimulatorStats* stats);

  AdminRoutes(const AdminRoutes&) = delete;
  AdminRoutes& operator=(const AdminRoutes&) = delete;

  void Register(httplib::Server* server);

 private:
  // GET /_admin/associations?from_type=..&to_type=.. (with each pair's labels)
  void ListAssociations(const httplib::Request& request, httplib::Response& response);
  // POST /_admin/associations {"from_type":..,"to_type":..,"pairs":[..]}; a
  // pair may carry "labels":[{"category":..,"type_id":..}].
  void SeedAssociations(const httplib::Request& request, httplib::Response& response);
  // POST /_admin/faults: applies the given fault fields.
  void SetFaults(const httplib::Request& request, httplib::Response& response);
  // POST /_admin/reset: empties the store and counters, restores the startup
  // faults and rate-limit budgets, and releases hanging requests.
  void Reset(httplib::Response& response);

  AssociationStore* const store_;
  RateLimiter* const limiter_;
  FaultInjector* const faults_;
  SleepGate* const gate_;
  SimulatorStats* const stats_;
};

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_ADMIN_ROUTES_H_
