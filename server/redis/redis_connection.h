// RedisConnection is one connection to Redis, driven by hiredis's async API
// on a thread of its own (a poll loop over the socket and a wake-up eventfd;
// no event library): callers queue commands (bounded) and get each reply on
// that thread. It connects by itself, authenticates, checks Redis answers
// (PING), and after any failure (refused, dropped, a reply later than
// `command_timeout`) fails what is pending and reconnects with backoff.
// Thread-safe; callbacks run on its thread and must not block.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_REDIS_REDIS_CONNECTION_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_REDIS_REDIS_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct redisAsyncContext;

namespace hubspot_gateway {

// A Redis reply: an integer, a string (bulk or status) or an array of them.
// An error reply (-ERR, -OOM, -READONLY, -NOSCRIPT, ...) arrives as a non-OK
// status instead (IsErrorReply).
struct RedisReply {
  int64_t integer = 0;
  std::string text;
  std::vector<RedisReply> elements;
};

// Whether `status` is Redis's error reply (INTERNAL, Redis's own message),
// not a lost connection, a timeout or shutdown (UNAVAILABLE,
// DEADLINE_EXCEEDED, CANCELLED).
inline bool IsErrorReply(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInternal;
}

struct RedisConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  // Sent with AUTH when not empty. A secret: never log it.
  std::string password;
  // A reply (or a connection) taking longer fails, and the connection is redone.
  absl::Duration command_timeout = absl::Milliseconds(250);
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  // Commands waiting for the connection's thread at most.
  size_t max_queued = 10000;
};

class RedisConnection {
 public:
  using Callback = absl::AnyInvocable<void(absl::StatusOr<RedisReply>) &&>;

  // Told when Redis starts or stops answering, and of each failure. Called
  // on the connection's thread; must not block.
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnUp() = 0;
    // `why` never holds the password.
    virtual void OnDown(const absl::Status& why) = 0;
    virtual void OnError() = 0;
  };

  // Starts connecting at once; `listener` must outlive this.
  RedisConnection(RedisConnectionOptions options, Listener& listener);
  // Fails whatever is pending (CANCELLED) and stops the thread.
  ~RedisConnection();

  // Whether Redis answered and nothing has failed since.
  bool up() const { return up_.load(std::memory_order_acquire); }

  // Queues `args` (a command and its arguments); `done` runs later on the
  // connection's thread. False (and `done` never runs) when Redis is not
  // up or the queue is full.
  bool Command(std::vector<std::string> args, Callback done);

 private:
  struct Queued {
    std::vector<std::string> args;
    Callback done;
  };
  struct Pending {
    absl::Time deadline;
    Callback done;
  };

  void Loop();
  void Connect(absl::Time now);
  // Sends `args` on the connection; `done` gets the reply.
  void Send(const std::vector<std::string>& args, Callback done, absl::Time now);
  // Frees the connection, failing everything pending with `why`.
  void Drop(const absl::Status& why);
  // The connection is gone (by failure or by Drop): report, plan a retry.
  void OnGone(const absl::Status& why);
  void FailQueued(const absl::Status& why);

  static void OnConnected(const redisAsyncContext* context, int status);
  static void OnDisconnected(const redisAsyncContext* context, int status);
  static void OnReply(redisAsyncContext* context, void* reply, void* privdata);

  const RedisConnectionOptions options_;
  Listener& listener_;
  const int wake_fd_;
  std::atomic<bool> up_{false};

  absl::Mutex mu_;
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Owned by the loop's thread.
  redisAsyncContext* context_ = nullptr;
  bool writing_ = false;
  absl::Time reconnect_at_ = absl::InfinitePast();
  absl::Duration backoff_;
  // Whether OnDown was told since the last OnUp (or ever).
  bool reported_down_ = false;
  // Replies come in order: the front is the oldest command sent.
  std::deque<Pending> pending_;
  // Why pending commands fail when hiredis hands them no reply.
  absl::Status drop_reason_;
  // AUTH or SELECT failed: the loop drops the connection (not from inside hiredis).
  std::optional<absl::Status> setup_failure_;

  std::thread thread_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_REDIS_REDIS_CONNECTION_H_
