#include "server/api/health_service.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hubspot_gateway {
namespace {

grpc::Status ShuttingDown() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is shutting down");
}

absl::flat_hash_set<std::string> WithServer(std::vector<std::string> names) {
  absl::flat_hash_set<std::string> all(std::make_move_iterator(names.begin()),
                                       std::make_move_iterator(names.end()));
  all.insert("");
  return all;
}

}  // namespace

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

// One Watch stream: writes the latest status whenever it differs from the
// last one written, one write at a time, until ended. Deleted by whoever
// comes last of its OnDone and the service's last pin (both under the
// service's mu_), so the service may call it while it is pinned even if the
// call finishes it inline.
class HealthService::WatchReactor final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  // `known_name`: the watched name is one the service answers for.
  WatchReactor(HealthService& service, ServingStatus status, bool known_name)
      : service_(service), known_name_(known_name), latest_(status) {}

  bool known_name() const { return known_name_; }

  // Writes the first status.
  void Start() ABSL_LOCKS_EXCLUDED(mu_) { Advance(); }

  // The watched name's status is now `status`.
  void Update(ServingStatus status) ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      latest_ = status;
    }
    Advance();
  }

  // Finish with `status` once the write under way (if any) is done.
  void End(grpc::Status status) ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      if (!end_.has_value()) end_ = std::move(status);
    }
    Advance();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok && !end_.has_value()) end_ = grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    }
    Advance();
  }

  void OnCancel() override { End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }

  void OnDone() override { service_.Forget(this); }

  // Guarded by the service's mu_: pins held by SetServing and Shutdown while
  // they call it, and whether gRPC is done with it (OnDone).
  int pins = 0;
  bool done = false;

 private:
  // Starts the next write or the finish, outside mu_ (gRPC may run a
  // reaction inline).
  void Advance() ABSL_LOCKS_EXCLUDED(mu_) {
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || writing_) return;
      if (end_.has_value()) {
        finished_ = true;
        finish = *end_;
      } else if (!written_.has_value() || *written_ != latest_) {
        writing_ = true;
        written_ = latest_;
        response_.set_status(latest_);
      } else {
        return;
      }
    }
    if (finish.has_value()) {
      Finish(*std::move(finish));
    } else {
      StartWrite(&response_);
    }
  }

  HealthService& service_;
  const bool known_name_;
  absl::Mutex mu_;
  ServingStatus latest_ ABSL_GUARDED_BY(mu_);
  std::optional<ServingStatus> written_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> end_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // Written only while no write is under way.
  HealthCheckResponse response_;
};

HealthService::HealthService(std::vector<std::string> service_names)
    : names_(WithServer(std::move(service_names))) {}

HealthService::~HealthService() = default;

HealthService::ServingStatus HealthService::StatusOf(const std::string& name) const {
  if (!names_.contains(name)) return HealthCheckResponse::SERVICE_UNKNOWN;
  return serving_ ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

std::vector<HealthService::WatchReactor*> HealthService::PinWatchers() {
  std::vector<WatchReactor*> pinned(watchers_.begin(), watchers_.end());
  for (WatchReactor* watcher : pinned) ++watcher->pins;
  return pinned;
}

void HealthService::Unpin(const std::vector<WatchReactor*>& pinned) {
  std::vector<WatchReactor*> finished;
  {
    absl::MutexLock lock(&mu_);
    for (WatchReactor* watcher : pinned) {
      if (--watcher->pins == 0 && watcher->done) finished.push_back(watcher);
    }
  }
  for (WatchReactor* watcher : finished) delete watcher;
}

void HealthService::SetServing(bool serving) {
  std::vector<WatchReactor*> pinned;
  {
    absl::MutexLock lock(&mu_);
    serving_ = serving;
    pinned = PinWatchers();
  }
  for (WatchReactor* watcher : pinned) {
    // A watcher of an unknown name keeps SERVICE_UNKNOWN.
    if (watcher->known_name()) {
      watcher->Update(serving ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING);
    }
  }
  Unpin(pinned);
}

void HealthService::Shutdown() {
  std::vector<WatchReactor*> pinned;
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    pinned = PinWatchers();
  }
  for (WatchReactor* watcher : pinned) watcher->End(ShuttingDown());
  Unpin(pinned);
}

void HealthService::Forget(WatchReactor* watcher) {
  bool last = false;
  {
    absl::MutexLock lock(&mu_);
    watchers_.erase(watcher);
    watcher->done = true;
    last = watcher->pins == 0;
  }
  if (last) delete watcher;
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const HealthCheckRequest* request,
                                               HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  ServingStatus status;
  {
    absl::MutexLock lock(&mu_);
    status = StatusOf(request->service());
  }
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 absl::StrCat("unknown service \"", request->service(), "\"")));
  } else {
    response->set_status(status);
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* /*context*/, const HealthCheckRequest* request) {
  WatchReactor* watcher;
  bool refused;
  {
    absl::MutexLock lock(&mu_);
    const ServingStatus status = StatusOf(request->service());
    watcher = new WatchReactor(*this, status, status != HealthCheckResponse::SERVICE_UNKNOWN);
    refused = shut_down_;
    if (!refused) watchers_.insert(watcher);
  }
  // Not handed to gRPC yet, so nothing can finish or delete it meanwhile.
  if (refused) {
    watcher->End(ShuttingDown());
  } else {
    watcher->Start();
  }
  return watcher;
}

}  // namespace hubspot_gateway
