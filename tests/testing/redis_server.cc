#include "tests/testing/redis_server.h"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/testing/polling.h"

namespace hubspot_gateway::testing {
namespace {

const absl::Duration kStartTimeout = absl::Seconds(20);

// A loopback port nobody listens on now.
absl::StatusOr<int> FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return absl::InternalError("no free loopback port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

std::string ReplyText(const redisReply& reply) {
  switch (reply.type) {
    case REDIS_REPLY_INTEGER:
      return absl::StrCat(reply.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<std::string> lines;
      for (size_t i = 0; i < reply.elements; ++i) lines.push_back(ReplyText(*reply.element[i]));
      return absl::StrJoin(lines, "\n");
    }
    case REDIS_REPLY_NIL:
      return "";
    default:
      return std::string(reply.str, reply.len);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(const std::string& password) {
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<RedisServer> server(new RedisServer());
  server->password_ = password;
  absl::Status started;
  // Another process may take the free port first: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<int> port = FreePort();
    if (!port.ok()) return port.status();
    server->port_ = *port;
    started = server->Run();
    if (started.ok()) return server;
  }
  return started;
}

std::string RedisServer::url() const { return absl::StrCat("redis://127.0.0.1:", port_); }

absl::Status RedisServer::Run() {
  config_path_ = TempPath("redis-conf");
  output_path_ = TempPath("redis-output");
  {
    std::ofstream config(config_path_);
    config << "port " << port_ << "\nbind 127.0.0.1\nsave \"\"\nappendonly no\n"
           << "daemonize no\ndir /tmp\n";
    if (!password_.empty()) config << "requirepass " << password_ << "\n";
  }
  process_.reset();
  auto process = Subprocess::Start({"/usr/bin/redis-server", config_path_}, {}, output_path_);
  if (!process.ok()) return process.status();
  process_.emplace(*std::move(process));
  const bool answered =
      WaitUntil([&] { return !process_->Running() || Command({"PING"}).ok(); }, kStartTimeout);
  if (!answered || !process_->Running()) {
    return absl::UnavailableError(
        absl::StrCat("redis-server did not start on port ", port_, ": ", Output()));
  }
  return absl::OkStatus();
}

void RedisServer::Kill() {
  process_->Signal(SIGKILL);
  (void)process_->WaitForExit(kStartTimeout);
}

absl::Status RedisServer::Restart() {
  // The old one's port may linger a moment.
  absl::Status started;
  WaitUntil([&] { return (started = Run()).ok(); }, kStartTimeout, absl::Milliseconds(100));
  return started;
}

absl::StatusOr<std::string> RedisServer::Command(const std::vector<std::string>& args) {
  redisContext* context = redisConnect("127.0.0.1", port_);
  if (context == nullptr || context->err != 0) {
    if (context != nullptr) redisFree(context);
    return absl::UnavailableError("cannot connect to redis-server");
  }
  auto run = [context](const std::vector<std::string>& command) -> absl::StatusOr<std::string> {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (reply == nullptr) return absl::UnavailableError("redis-server did not answer");
    const bool error = reply->type == REDIS_REPLY_ERROR;
    std::string text = ReplyText(*reply);
    freeReplyObject(reply);
    if (error) return absl::InternalError(text);
    return text;
  };
  absl::StatusOr<std::string> result = std::string();
  if (!password_.empty()) result = run({"AUTH", password_});
  if (result.ok()) result = run(args);
  redisFree(context);
  return result;
}

std::string RedisServer::Output() const { return ReadFile(output_path_); }

}  // namespace hubspot_gateway::testing
