#include "simulator/simulator_server.h"

#include <sys/socket.h>

#include <csignal>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "simulator/hubspot_responses.h"

namespace hubspot_simulator {
namespace {

// Requests one connection may carry before the server closes it.
constexpr size_t kKeepAliveMaxRequests = 10000;
// How long an idle connection is kept. cpp-httplib 0.11 notices a stop only
// between requests, so this also bounds how long Stop() waits for idle
// keep-alive connections.
constexpr time_t kKeepAliveTimeoutSeconds = 1;
// cpp-httplib listens with a backlog of 5, which drops part of a burst of new
// connections (each then stalls for a one-second SYN retransmit).
constexpr int kListenBacklog = 4096;
// Bodies above this are answered 413.
constexpr size_t kMaxBodyBytes = 16 << 20;

}  // namespace

SimulatorServer::SimulatorServer(const SimulatorOptions& options)
    : threads_(options.threads),
      limiter_(options.rate_limits),
      faults_(options.faults),
      hubspot_routes_(options.routes, &store_, &limiter_, &faults_, &gate_, &stats_),
      admin_routes_(&store_, &limiter_, &faults_, &gate_, &stats_) {
  hubspot_routes_.Register(&server_);
  admin_routes_.Register(&server_);
  server_.set_tcp_nodelay(true);
  server_.set_keep_alive_max_count(kKeepAliveMaxRequests);
  server_.set_keep_alive_timeout(kKeepAliveTimeoutSeconds);
  server_.set_socket_options([this](socket_t socket) {
    // SO_REUSEADDR, not cpp-httplib's default SO_REUSEPORT: a port already in
    // use must fail to bind rather than be shared with another process.
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_socket_ = socket;
  });
  server_.set_payload_max_length(kMaxBodyBytes);
  // cpp-httplib's own errors (no such route, a body too large, a bad request
  // line) carry no body; on HubSpot's side they get an `Error` body as
  // HubSpot's would. Other statuses are the routes' own, deliberately bodyless
  // ones included (an injected bodyless 429).
  server_.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& request,
                                                                    httplib::Response& response) {
    const bool httplib_status = response.status == 400 || response.status == 404 ||
                                response.status == 413 || response.status == 414;
    if (!httplib_status || !response.body.empty() || absl::StartsWith(request.path, "/_admin/")) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    response.set_content(SerializeJson(ErrorBodyForStatus(response.status)), kJsonContentType);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server_.new_task_queue = [this] { return StartServing(); };
}

absl::StatusOr<int> SimulatorServer::Bind(const std::string& host, int port) {
  const int bound =
      port == 0 ? server_.bind_to_any_port(host) : (server_.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", host, ":", port));
  }
  // Linux lets a listening socket raise its backlog by calling listen() again.
  listen(listen_socket_, kListenBacklog);
  return bound;
}

absl::Status SimulatorServer::Serve() {
  std::signal(SIGPIPE, SIG_IGN);
  if (!server_.listen_after_bind()) {
    return absl::InternalError("the HTTP server stopped accepting connections");
  }
  return absl::OkStatus();
}

httplib::TaskQueue* SimulatorServer::StartServing() {
  {
    // cpp-httplib calls this after marking itself running, so from here on its
    // stop() takes effect; a Stop() that came earlier is applied now.
    absl::MutexLock lock(&mu_);
    serving_ = true;
    if (stop_requested_) server_.stop();
  }
  return new httplib::ThreadPool(threads_);
}

void SimulatorServer::Stop() {
  gate_.Close();
  absl::MutexLock lock(&mu_);
  stop_requested_ = true;
  if (serving_) server_.stop();
}

}  // namespace hubspot_simulator
