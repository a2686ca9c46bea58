#include "server/api/archive_streams.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"

namespace hubspot_gateway {
namespace {

// One registered stream. Its lock is held while the stream is called, so
// that Remove (which clears `stream` under it) waits for such a call.
struct Registration {
  explicit Registration(LiveStream* live) : stream(live) {}

  void Call(absl::FunctionRef<void(LiveStream&)> call) {
    absl::MutexLock lock(&mu);
    if (stream != nullptr) call(*stream);
  }

  absl::Mutex mu;
  LiveStream* stream ABSL_GUARDED_BY(mu);
};

// Set while this thread is inside Scheduler::RunAfter for an idle check: a
// check that runs then was run inline, which a scheduler does only once it
// has shut down.
thread_local bool scheduling_check = false;

}  // namespace

class ArchiveStreams::Registry : public std::enable_shared_from_this<Registry> {
 public:
  Registry(Scheduler& scheduler, absl::Duration idle_timeout)
      : scheduler_(scheduler),
        checks_(idle_timeout != absl::InfiniteDuration()),
        check_interval_(checks_
                            ? std::clamp(idle_timeout / 4, absl::Milliseconds(10), absl::Seconds(1))
                            : absl::InfiniteDuration()) {}

  bool Add(LiveStream* stream) {
    bool schedule = false;
    {
      absl::MutexLock lock(&mu_);
      if (draining_) return false;
      streams_.emplace(stream, std::make_shared<Registration>(stream));
      schedule = checks_ && !check_queued_ && !scheduler_stopped_;
      check_queued_ = check_queued_ || schedule;
    }
    if (schedule) QueueCheck();
    return true;
  }

  void Remove(LiveStream* stream) {
    std::shared_ptr<Registration> registration;
    {
      absl::MutexLock lock(&mu_);
      auto it = streams_.find(stream);
      if (it == streams_.end()) return;
      registration = std::move(it->second);
      streams_.erase(it);
    }
    absl::MutexLock lock(&registration->mu);
    registration->stream = nullptr;
  }

  void Drain() {
    for (const auto& registration : Live(/*drain=*/true)) {
      registration->Call([](LiveStream& stream) { stream.Drain(); });
    }
  }

 private:
  // The registered streams; with `drain`, refuses later ones.
  std::vector<std::shared_ptr<Registration>> Live(bool drain) {
    absl::MutexLock lock(&mu_);
    draining_ = draining_ || drain;
    std::vector<std::shared_ptr<Registration>> live;
    live.reserve(streams_.size());
    for (const auto& [stream, registration] : streams_) live.push_back(registration);
    return live;
  }

  void QueueCheck() {
    scheduling_check = true;
    scheduler_.RunAfter(check_interval_, [weak = weak_from_this()] {
      if (std::shared_ptr<Registry> registry = weak.lock()) registry->Check();
    });
    scheduling_check = false;
  }

  void Check() {
    if (scheduling_check) {
      // Run inline: the scheduler has shut down, and queuing the next check
      // would run it at once, for ever. The gateway is stopping; checks end.
      absl::MutexLock lock(&mu_);
      scheduler_stopped_ = true;
      check_queued_ = false;
      return;
    }
    const absl::Time now = scheduler_.Now();
    for (const auto& registration : Live(/*drain=*/false)) {
      registration->Call([now](LiveStream& stream) { stream.CheckIdle(now); });
    }
    bool again = false;
    {
      absl::MutexLock lock(&mu_);
      again = !streams_.empty() && !scheduler_stopped_;
      check_queued_ = again;
    }
    if (again) QueueCheck();
  }

  Scheduler& scheduler_;
  const bool checks_;
  const absl::Duration check_interval_;
  absl::Mutex mu_;
  absl::flat_hash_map<LiveStream*, std::shared_ptr<Registration>> streams_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  // Whether an idle check is queued on the scheduler (or running).
  bool check_queued_ ABSL_GUARDED_BY(mu_) = false;
  bool scheduler_stopped_ ABSL_GUARDED_BY(mu_) = false;
};

ArchiveStreams::ArchiveStreams(Scheduler& scheduler, absl::Duration idle_timeout)
    : scheduler_(scheduler),
      idle_timeout_(idle_timeout),
      registry_(std::make_shared<Registry>(scheduler, idle_timeout)) {}

ArchiveStreams::~ArchiveStreams() = default;

bool ArchiveStreams::Add(LiveStream* stream) { return registry_->Add(stream); }

void ArchiveStreams::Remove(LiveStream* stream) { registry_->Remove(stream); }

void ArchiveStreams::Drain() { registry_->Drain(); }

}  // namespace hubspot_gateway
