#include "server/redis/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace hubspot_gateway {
namespace {

RedisReply FromHiredis(const redisReply& reply) {
  RedisReply converted;
  converted.integer = reply.integer;
  if (reply.str != nullptr) converted.text.assign(reply.str, reply.len);
  for (size_t i = 0; i < reply.elements; ++i) {
    converted.elements.push_back(FromHiredis(*reply.element[i]));
  }
  return converted;
}

}  // namespace

RedisConnection::RedisConnection(RedisConnectionOptions options, Listener& listener)
    : options_(std::move(options)),
      listener_(listener),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      backoff_(options_.min_backoff),
      thread_([this] { Loop(); }) {}

RedisConnection::~RedisConnection() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  close(wake_fd_);
}

bool RedisConnection::Command(std::vector<std::string> args, Callback done) {
  if (!up()) return false;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || queue_.size() >= options_.max_queued) return false;
    queue_.push_back({std::move(args), std::move(done)});
  }
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  return true;
}

void RedisConnection::Send(const std::vector<std::string>& args, Callback done, absl::Time now) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  if (context_ == nullptr || redisAsyncCommandArgv(context_, &RedisConnection::OnReply, nullptr,
                                                   static_cast<int>(argv.size()), argv.data(),
                                                   lengths.data()) != REDIS_OK) {
    std::move(done)(absl::UnavailableError("Redis is not connected"));
    return;
  }
  pending_.push_back({now + options_.command_timeout, std::move(done)});
}

void RedisConnection::Connect(absl::Time now) {
  drop_reason_ = absl::UnavailableError("the connection to Redis was lost");
  redisAsyncContext* context = redisAsyncConnect(options_.host.c_str(), options_.port);
  if (context == nullptr || context->err != 0) {
    const std::string why = context == nullptr ? "out of memory" : context->errstr;
    if (context != nullptr) redisAsyncFree(context);
    OnGone(absl::UnavailableError(absl::StrCat("cannot connect to Redis: ", why)));
    return;
  }
  context_ = context;
  writing_ = false;
  context->data = this;
  context->ev.data = this;
  // The loop always polls for reading; hiredis says when it has something to write.
  context->ev.addWrite = [](void* self) { static_cast<RedisConnection*>(self)->writing_ = true; };
  context->ev.delWrite = [](void* self) { static_cast<RedisConnection*>(self)->writing_ = false; };
  context->ev.cleanup = nullptr;
  redisAsyncSetConnectCallback(context, &RedisConnection::OnConnected);
  redisAsyncSetDisconnectCallback(context, &RedisConnection::OnDisconnected);
  // Pipelined behind the connection: AUTH, SELECT, then PING proves Redis answers.
  auto setup_step = [this](const char* what) {
    return [this, what](absl::StatusOr<RedisReply> reply) {
      if (reply.ok() || context_ == nullptr || setup_failure_.has_value()) return;
      // Redis's own message for AUTH is left out: the password stays out of logs.
      setup_failure_ = absl::UnavailableError(absl::StrCat(
          "Redis refused ", what,
          absl::string_view(what) == "AUTH" ? "" : absl::StrCat(": ", reply.status().message())));
    };
  };
  if (!options_.password.empty()) Send({"AUTH", options_.password}, setup_step("AUTH"), now);
  if (options_.db != 0) Send({"SELECT", absl::StrCat(options_.db)}, setup_step("SELECT"), now);
  Send(
      {"PING"},
      [this, failed = setup_step("PING")](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok() || setup_failure_.has_value() || context_ == nullptr) {
          failed(std::move(reply));
          return;
        }
        backoff_ = options_.min_backoff;
        reported_down_ = false;
        up_.store(true, std::memory_order_release);
        listener_.OnUp();
      },
      now);
}

void RedisConnection::OnConnected(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (status == REDIS_OK) return;
  // hiredis frees the context once this returns.
  self->context_ = nullptr;
  self->OnGone(
      absl::UnavailableError(absl::StrCat("cannot connect to Redis at ", self->options_.host, ":",
                                          self->options_.port, ": ", context->errstr)));
}

void RedisConnection::OnDisconnected(const redisAsyncContext* context, int /*status*/) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (self->context_ == nullptr) return;  // Dropped on purpose.
  self->context_ = nullptr;
  self->OnGone(absl::UnavailableError("Redis closed the connection"));
}

void RedisConnection::OnReply(redisAsyncContext* context, void* reply, void* /*privdata*/) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (self->pending_.empty()) return;
  Callback done = std::move(self->pending_.front().done);
  self->pending_.pop_front();
  const auto* redis_reply = static_cast<const redisReply*>(reply);
  if (redis_reply == nullptr) {
    std::move(done)(self->drop_reason_);
  } else if (redis_reply->type == REDIS_REPLY_ERROR) {
    std::move(done)(absl::InternalError(std::string(redis_reply->str, redis_reply->len)));
  } else {
    std::move(done)(FromHiredis(*redis_reply));
  }
}

void RedisConnection::OnGone(const absl::Status& why) {
  up_.store(false, std::memory_order_release);
  setup_failure_.reset();
  listener_.OnError();
  if (!reported_down_) {
    reported_down_ = true;
    listener_.OnDown(why);
  }
  reconnect_at_ = absl::Now() + backoff_;
  backoff_ = std::min(2 * backoff_, options_.max_backoff);
  FailQueued(why);
}

void RedisConnection::FailQueued(const absl::Status& why) {
  std::deque<Queued> queued;
  {
    absl::MutexLock lock(&mu_);
    queued.swap(queue_);
  }
  for (Queued& command : queued) std::move(command.done)(why);
}

void RedisConnection::Drop(const absl::Status& why) {
  drop_reason_ = why;
  redisAsyncContext* context = context_;
  context_ = nullptr;
  // Calls every pending callback (with no reply: drop_reason_).
  if (context != nullptr) redisAsyncFree(context);
  pending_.clear();
}

void RedisConnection::Loop() {
  while (true) {
    std::deque<Queued> batch;
    bool stopping = false;
    {
      absl::MutexLock lock(&mu_);
      stopping = stopping_;
      batch.swap(queue_);
    }
    if (stopping) {
      for (Queued& command : batch) std::move(command.done)(absl::CancelledError("shutting down"));
      Drop(absl::CancelledError("shutting down"));
      return;
    }
    absl::Time now = absl::Now();
    for (Queued& command : batch) Send(command.args, std::move(command.done), now);
    if (context_ == nullptr && now >= reconnect_at_) Connect(now);

    absl::Time wake_at = now + absl::Seconds(1);
    if (!pending_.empty()) wake_at = std::min(wake_at, pending_.front().deadline);
    if (context_ == nullptr) wake_at = std::min(wake_at, reconnect_at_);
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {-1, 0, 0}};
    if (context_ != nullptr) {
      fds[1].fd = context_->c.fd;
      fds[1].events = static_cast<short>(POLLIN | (writing_ ? POLLOUT : 0));
    }
    const int64_t timeout_ms = std::max<int64_t>(
        0, absl::ToInt64Milliseconds(absl::Ceil(wake_at - now, absl::Milliseconds(1))));
    if (poll(fds, 2, static_cast<int>(timeout_ms)) > 0) {
      if (fds[0].revents != 0) {
        uint64_t count;
        (void)!read(wake_fd_, &count, sizeof(count));
      }
      if (context_ != nullptr && (fds[1].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
        redisAsyncHandleRead(context_);
      }
      if (context_ != nullptr && (fds[1].revents & POLLOUT) != 0) redisAsyncHandleWrite(context_);
    }
    now = absl::Now();
    if (context_ == nullptr) continue;
    if (setup_failure_.has_value()) {
      const absl::Status why = *setup_failure_;
      OnGone(why);
      Drop(why);
    } else if (!pending_.empty() && pending_.front().deadline <= now) {
      const absl::Status why = absl::DeadlineExceededError(absl::StrCat(
          "Redis did not answer within ", absl::FormatDuration(options_.command_timeout)));
      Drop(why);
      OnGone(why);
    }
  }
}

}  // namespace hubspot_gateway
