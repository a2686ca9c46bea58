// The gateway process: flags -> config, then the gRPC server on the callback
// API in front of the AssociationsArchiver, until SIGTERM or SIGINT drains it.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/associations_archive_service.h"
#include "server/associations_archiver.h"
#include "server/call_log.h"
#include "server/curl_multi_transport.h"
#include "prometheus/exposer.h"
#include "server/gateway_config.h"
#include "server/gateway_metrics.h"
#include "server/rate_limiter.h"
#include "server/timer_thread_scheduler.h"

namespace {
const hubspot_gateway::GatewayFlags kDefaults;
constexpr absl::Duration kForcedCancelMargin = absl::Seconds(2);
}  // namespace

ABSL_FLAG(std::string, listen, kDefaults.listen, "gRPC listen address, host:port (port 0 picks a free one)");
ABSL_FLAG(std::string, port_file, "", "If set, the bound port is written to this file once serving");
ABSL_FLAG(std::string, hubspot_base_url, kDefaults.hubspot_base_url,
          "HubSpot API base URL (TLS verification is always on for https)");
ABSL_FLAG(std::string, hubspot_api_version, kDefaults.hubspot_api_version,
          "Date-versioned API (YYYY-MM), or v4 for the legacy /crm/v4 path");
ABSL_FLAG(std::string, hubspot_token_file, "",
          "File holding the gateway's HubSpot token (HUBSPOT_ACCESS_TOKEN takes precedence)");
ABSL_FLAG(std::string, auth_mode, kDefaults.auth_mode,
          "gateway_token (the gateway's own token), passthrough (each caller's "
          "'authorization: Bearer' metadata) or caller_keys (each caller's 'x-api-key', "
          "mapped by --callers_file)");
ABSL_FLAG(absl::Duration, upstream_timeout, kDefaults.upstream_timeout,
          "Longest one upstream attempt may take (the caller's deadline also bounds it)");
ABSL_FLAG(absl::Duration, shutdown_grace, kDefaults.shutdown_grace,
          "On SIGTERM/SIGINT, how long in-flight calls may finish before being cancelled");
ABSL_FLAG(int, max_upstream_connections, kDefaults.max_upstream_connections,
          "Connections kept open to HubSpot; further requests queue");
ABSL_FLAG(int, max_inputs_per_request, kDefaults.max_inputs_per_request,
          "Inputs (and to-ids per input) per upstream request; larger calls are chunked");
ABSL_FLAG(int, max_concurrent_requests_per_call, kDefaults.max_concurrent_requests_per_call,
          "Chunks of one call sent to HubSpot at once");
ABSL_FLAG(int, max_in_flight_calls, kDefaults.max_in_flight_calls,
          "Calls beyond this many in flight are refused at once with RESOURCE_EXHAUSTED");
ABSL_FLAG(int, rate_limit_per_10s, kDefaults.rate_limit_per_10s,
          "Upstream requests per token per rolling 10 s (HubSpot's X-HubSpot-RateLimit-* "
          "headers override it); 0 disables pacing");
ABSL_FLAG(int, max_attempts, kDefaults.max_attempts,
          "Attempts per upstream request, the first included (1 disables retries)");
ABSL_FLAG(absl::Duration, initial_backoff, kDefaults.initial_backoff,
          "Ceiling of the first retry's jittered wait; it doubles per retry");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain: serve gRPC over TLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: require callers to present a certificate it signed (mutual TLS)");
ABSL_FLAG(std::string, callers_file, "",
          "With --auth_mode=caller_keys: JSON mapping callers' API keys (as SHA-256 hex) to "
          "the HubSpot token their calls use (see server/caller_registry.h)");
ABSL_FLAG(std::string, metrics_listen, "",
          "If set, serve Prometheus metrics at http://ADDRESS/metrics (host:port; port 0 "
          "picks a free one, logged at startup)");
ABSL_FLAG(std::string, log_format, kDefaults.log_format,
          "text (key=value lines) or json (one JSON object per line)");
ABSL_FLAG(absl::Duration, max_backoff, kDefaults.max_backoff,
          "Largest ceiling of a retry's jittered wait");

namespace hubspot_gateway {
namespace {

GatewayFlags FlagsFromCommandLine() {
  GatewayFlags flags;
  flags.listen = absl::GetFlag(FLAGS_listen);
  flags.port_file = absl::GetFlag(FLAGS_port_file);
  flags.hubspot_base_url = absl::GetFlag(FLAGS_hubspot_base_url);
  flags.hubspot_api_version = absl::GetFlag(FLAGS_hubspot_api_version);
  flags.hubspot_token_file = absl::GetFlag(FLAGS_hubspot_token_file);
  flags.auth_mode = absl::GetFlag(FLAGS_auth_mode);
  flags.upstream_timeout = absl::GetFlag(FLAGS_upstream_timeout);
  flags.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  flags.max_upstream_connections = absl::GetFlag(FLAGS_max_upstream_connections);
  flags.max_inputs_per_request = absl::GetFlag(FLAGS_max_inputs_per_request);
  flags.max_concurrent_requests_per_call = absl::GetFlag(FLAGS_max_concurrent_requests_per_call);
  flags.max_in_flight_calls = absl::GetFlag(FLAGS_max_in_flight_calls);
  flags.rate_limit_per_10s = absl::GetFlag(FLAGS_rate_limit_per_10s);
  flags.max_attempts = absl::GetFlag(FLAGS_max_attempts);
  flags.initial_backoff = absl::GetFlag(FLAGS_initial_backoff);
  flags.max_backoff = absl::GetFlag(FLAGS_max_backoff);
  flags.log_format = absl::GetFlag(FLAGS_log_format);
  flags.callers_file = absl::GetFlag(FLAGS_callers_file);
  flags.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  flags.tls_key = absl::GetFlag(FLAGS_tls_key);
  flags.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  return flags;
}

bool WritePortFile(const std::string& path, int port) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary);
    out << port << "\n";
    if (!out) return false;
  }
  return std::rename(temporary.c_str(), path.c_str()) == 0;
}

std::shared_ptr<grpc::ServerCredentials> ListenerCredentials(const GatewayConfig& config) {
  if (!config.tls.has_value()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      config.tls->client_ca.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_key_cert_pairs.push_back({config.tls->private_key, config.tls->certificate_chain});
  options.pem_root_certs = config.tls->client_ca;
  return grpc::SslServerCredentials(options);
}

int Run() {
  absl::StatusOr<GatewayConfig> config = BuildGatewayConfig(
      FlagsFromCommandLine(), [](const char* name) -> absl::optional<std::string> {
        const char* value = std::getenv(name);
        if (value == nullptr) return absl::nullopt;
        return std::string(value);
      });
  if (!config.ok()) {
    WriteLogLine(absl::StrCat("gateway: cannot start: ", config.status().message()));
    return 2;
  }

  const CallLogger logger(config->log_format);

  // Every thread started from here on inherits the blocked signals; the main
  // thread alone receives them, in sigwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<std::unique_ptr<CurlMultiTransport>> transport =
      CurlMultiTransport::Create({config->max_upstream_connections});
  if (!transport.ok()) {
    logger.LogEvent(absl::StrCat("cannot start: ", transport.status().message()));
    return 2;
  }
  TimerThreadScheduler scheduler;
  absl::BitGen random;
  RateLimiter limiter({config->rate_limit_per_10s, absl::Seconds(10)});
  GatewayMetrics metrics;
  AssociationsArchiver archiver(*config, **transport, scheduler, limiter, metrics, random);
  AssociationsArchiveService service(*config, archiver, logger, metrics);
  std::unique_ptr<prometheus::Exposer> exposer;
  if (const std::string address = absl::GetFlag(FLAGS_metrics_listen); !address.empty()) {
    exposer = std::make_unique<prometheus::Exposer>(address);
    exposer->RegisterCollectable(metrics.registry());
    const auto ports = exposer->GetListeningPorts();
    logger.LogEvent(absl::StrCat("metrics on port ", ports.empty() ? 0 : ports.front()));
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config->listen, ListenerCredentials(*config), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    logger.LogEvent(absl::StrCat("cannot listen on ", config->listen));
    return 2;
  }
  server->GetHealthCheckService()->SetServingStatus(true);
  if (!config->port_file.empty() && !WritePortFile(config->port_file, port)) {
    logger.LogEvent(absl::StrCat("cannot write --port_file ", config->port_file));
    return 2;
  }
  logger.LogEvent(absl::StrCat("listening on port ", port, ", upstream ",
                       config->hubspot_base_url, " (API ", config->hubspot_api_version,
                       "), auth ",
                       config->auth_mode == AuthMode::kPassthrough  ? "passthrough"
                       : config->auth_mode == AuthMode::kCallerKeys ? "caller_keys"
                                                                     : "gateway_token",
                       !config->tls.has_value()        ? ", plaintext"
                       : config->tls->client_ca.empty() ? ", TLS"
                                                        : ", mutual TLS"));

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  logger.LogEvent(absl::StrCat(signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
                       ": draining, ", service.in_flight_calls(), " calls in flight, grace ",
                       absl::FormatDuration(config->shutdown_grace)));
  server->GetHealthCheckService()->SetServingStatus(false);

  // Calls still running when the grace period ends are cancelled: stopping the
  // transport ends their upstream requests, stopping the scheduler their waits.
  absl::Notification drained;
  std::thread canceller([&] {
    if (!drained.WaitForNotificationWithTimeout(config->shutdown_grace)) {
      logger.LogEvent("grace period over; cancelling the remaining calls");
      (*transport)->Shutdown();
      scheduler.Shutdown();
    }
  });
  // gRPC's own forced cancellation comes a moment later, so that callers get
  // the gateway's clear "shutting down" status rather than a bare one.
  server->Shutdown(
      absl::ToChronoTime(absl::Now() + config->shutdown_grace + kForcedCancelMargin));
  drained.Notify();
  canceller.join();
  server->Wait();
  logger.LogEvent("stopped");
  return 0;
}

}  // namespace
}  // namespace hubspot_gateway

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "gRPC gateway to HubSpot's associations batch/archive API.\n"
      "  HUBSPOT_ACCESS_TOKEN=... gateway --listen=127.0.0.1:50051");
  absl::ParseCommandLine(argc, argv);
  // Debian's abseil is built with mutex deadlock detection on, which tracks
  // every lock in a graph: measurable on the per-call path (callgrind).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return hubspot_gateway::Run();
}
