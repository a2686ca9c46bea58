// SimulatorServer is the whole HubSpot simulator behind one HTTP listener: it
// owns the association store, rate limiter, fault injector and counters and
// serves HubSpotRoutes and AdminRoutes on cpp-httplib's thread pool.
// Thread-safe: Stop() may be called from any thread, at any time.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_SIMULATOR_SERVER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_SIMULATOR_SERVER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "httplib.h"
#include "simulator/admin_routes.h"
#include "simulator/association_store.h"
#include "simulator/fault_injector.h"
#include "simulator/hubspot_routes.h"
#include "simulator/rate_limiter.h"
#include "simulator/simulator_stats.h"
#include "simulator/sleep_gate.h"

namespace hubspot_simulator {

struct SimulatorOptions {
  HubSpotRoutesOptions routes;
  RateLimiter::Options rate_limits;
  FaultSettings faults;  // Must be valid (see ApplyFaultPatch).
  int threads = 64;      // Handler threads; each serves one connection at a time.
};

// Typical use:
//   SimulatorServer server(options);
//   absl::StatusOr<int> port = server.Bind("127.0.0.1", 0);
//   std::thread serving([&] { server.Serve(); });
//   ...
//   server.Stop();
//   serving.join();
class SimulatorServer {
 public:
  explicit SimulatorServer(const SimulatorOptions& options);

  SimulatorServer(const SimulatorServer&) = delete;
  SimulatorServer& operator=(const SimulatorServer&) = delete;

  // Starts listening on host:port (port 0 picks a free one) and returns the
  // port. Connections queue until Serve() runs.
  absl::StatusOr<int> Bind(const std::string& host, int port);

  // Serves connections until Stop(). Ignores SIGPIPE process-wide: cpp-httplib
  // writes with plain send(), so a client hanging up would otherwise kill the
  // process.
  absl::Status Serve();

  // Releases hanging requests and makes Serve() return once in-flight requests
  // finish; effective even before Serve() starts. Destroy the server only
  // after Serve() has returned.
  void Stop();

 private:
  // Called by cpp-httplib once it is running, to build the handler pool.
  httplib::TaskQueue* StartServing();

  const int threads_;
  int listen_socket_ = -1;  // Set while Bind() creates the listening socket.
  AssociationStore store_;
  RateLimiter limiter_;
  FaultInjector faults_;
  SleepGate gate_;
  SimulatorStats stats_;
  HubSpotRoutes hubspot_routes_;
  AdminRoutes admin_routes_;
  httplib::Server server_;

  absl::Mutex mu_;
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_SIMULATOR_SERVER_H_
