// HealthService: the gateway's grpc.health.v1.Health, in place of gRPC's
// default one, so that a drain is visible to load balancers and probers:
//   - it answers for "" (the whole server) and for each name it is given (the
//     gateway registers its own service's full name); others are NOT_FOUND
//     (Check) or SERVICE_UNKNOWN (Watch), as the health protocol says;
//   - SetServing(false) turns every name NOT_SERVING and tells each watcher;
//   - Shutdown() ends every Watch stream at once with UNAVAILABLE (gRPC's own
//     service keeps them open until the grace period's forced cancellation,
//     holding the process that long) and refuses new ones.
// Its descriptor comes from the generated health.proto, so server reflection
// can describe it. Thread-safe. Lock order: the service's mu_, then a
// watcher's; gRPC is never called with either held.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_HEALTH_SERVICE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_HEALTH_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace hubspot_gateway {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  // Answers for "" and `service_names`, NOT_SERVING until SetServing(true).
  explicit HealthService(std::vector<std::string> service_names);
  // The server must have stopped (Wait returned): no Watch is left.
  ~HealthService() override;

  void SetServing(bool serving) ABSL_LOCKS_EXCLUDED(mu_);
  // Ends every open Watch with UNAVAILABLE and refuses new ones; Check keeps
  // answering (NOT_SERVING after SetServing(false)).
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

 private:
  class WatchReactor;
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  ServingStatus StatusOf(const std::string& name) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A finished watcher leaves the set (called from its OnDone); deleted now
  // unless pinned.
  void Forget(WatchReactor* watcher) ABSL_LOCKS_EXCLUDED(mu_);
  // The open watchers, each pinned (kept alive) until Unpin.
  std::vector<WatchReactor*> PinWatchers() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Unpin(const std::vector<WatchReactor*>& pinned) ABSL_LOCKS_EXCLUDED(mu_);

  const absl::flat_hash_set<std::string> names_;
  mutable absl::Mutex mu_;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<WatchReactor*> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_HEALTH_SERVICE_H_
