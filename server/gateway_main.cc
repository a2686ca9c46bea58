// The gateway process: flags -> config, then the gRPC server on the callback
// API in front of the AssociationsArchiver, until SIGTERM, SIGINT or SIGHUP
// drains it.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "prometheus/exposer.h"
#include "server/api/api_flags.h"
#include "server/api/associations_archive_service.h"
#include "server/api/grpc_log_route.h"
#include "server/api/health_service.h"
#include "server/api/reflection_v1_service.h"
#include "server/api/undecodable_request_interceptor.h"
#include "server/archive/associations_archiver.h"
#include "server/budget/redis_budget.h"
#include "server/clock/timer_thread_scheduler.h"
#include "server/common/files.h"
#include "server/common/log.h"
#include "server/dispatch/dispatcher.h"
#include "server/gateway_config.h"
#include "server/gateway_metrics.h"
#include "server/http/curl_multi_transport.h"
#include "server/labels/dispatched_labels_reader.h"
#include "server/labels/unlabeled_type_cache.h"
#include "server/process_metrics.h"
#include "server/this_build.h"

namespace hubspot_gateway {
namespace {

constexpr absl::Duration kForcedCancelMargin = absl::Seconds(2);

std::shared_ptr<grpc::ServerCredentials> ListenerCredentials(const GatewayConfig& config) {
  if (!config.server.tls.has_value()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      config.server.tls->client_ca.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_key_cert_pairs.push_back(
      {config.server.tls->private_key, config.server.tls->certificate_chain});
  options.pem_root_certs = config.server.tls->client_ca;
  return grpc::SslServerCredentials(options);
}

// Waits up to `timeout` for one of `signals` (blocked in every thread);
// true when one came.
bool WaitForSignal(const sigset_t& signals, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    const timespec wait = absl::ToTimespec(left);
    if (sigtimedwait(&signals, nullptr, &wait) >= 0) return true;
    if (errno != EINTR) return false;  // EAGAIN: the time is up.
  }
}

// Serves `metrics` at http://`address`/metrics. prometheus-cpp throws when
// it cannot listen (a busy port, an address not of this machine); that is a
// startup error here, not an abort.
absl::StatusOr<std::unique_ptr<prometheus::Exposer>> ServeMetrics(const std::string& address,
                                                                  GatewayMetrics& metrics) {
  try {
    // Enough threads that idle or slow scrapers cannot starve the others, and a
    // request timeout so a connection that sends nothing lets go of its thread.
    auto exposer = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", address, "num_threads", "8", "request_timeout_ms", "2000"});
    exposer->RegisterCollectable(metrics.registry());
    return exposer;
  } catch (const std::exception& error) {
    return absl::UnavailableError(
        absl::StrCat("--metrics_listen: cannot listen on ", address, " (", error.what(), ")"));
  }
}

int Run() {
  // Before any thread starts (the log's is the first): every thread inherits
  // the blocked signals, and the main thread alone receives them, in sigwait
  // below. A signal that came before would find a thread that does not block
  // it and end the process at once.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  // SIGHUP (a closed terminal or session, a supervisor's "reload") drains too:
  // the gateway has nothing to reload, and dying at once would drop calls.
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Next, so that every line on stderr, gRPC's too, is in the log's format.
  const Logger logger(LogFormatFromFlags());
  const GrpcLogRoute grpc_log(logger);
  absl::StatusOr<GatewayConfig> config = GatewayConfigFromFlags(ProcessEnvironment);
  if (!config.ok()) {
    logger.Log(LogLevel::kError, absl::StrCat("cannot start: ", config.status().message()));
    return 2;
  }
  for (const std::string& warning : config->warnings) logger.Log(LogLevel::kWarning, warning);

  absl::StatusOr<std::unique_ptr<CurlMultiTransport>> transport =
      CurlMultiTransport::Create(config->transport);
  if (!transport.ok()) {
    logger.Log(LogLevel::kError, absl::StrCat("cannot start: ", transport.status().message()));
    return 2;
  }
  TimerThreadScheduler scheduler;
  absl::BitGen random;
  const std::string archive_service =
      hubspot::crm::associations::v1::AssociationsArchive::service_full_name();
  GatewayMetrics metrics(
      ThisBuild(),
      MetricLabelsOf(
          *google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(archive_service)));
  std::unique_ptr<RedisBudgetStore> budget_store;
  BudgetFactory budgets;
  if (config->budget_store.has_value()) {
    budget_store = std::make_unique<RedisBudgetStore>(
        *config->budget_store, config->dispatch.budget, scheduler, metrics,
        [&logger](LogLevel level, absl::string_view line) { logger.Log(level, line); });
    budgets = budget_store->Budgets();
  }
  Dispatcher dispatcher(config->dispatch, **transport, scheduler, metrics, random, budgets);
  DispatchedLabelsReader labels_reader(config->archiver.endpoint, dispatcher, scheduler);
  // Its one kind of line is a failed read.
  UnlabeledTypeCache unlabeled_types(
      config->labels_cache, labels_reader, scheduler,
      [&logger](absl::string_view line) { logger.Log(LogLevel::kWarning, line); });
  AssociationsArchiver archiver(config->archiver, dispatcher, scheduler, metrics, unlabeled_types);
  AssociationsArchiveService service(config->service, archiver, logger, metrics);
  // The exposer holds collectables weakly: they live as long as Run.
  const auto process_metrics = std::make_shared<ProcessMetrics>();
  std::unique_ptr<prometheus::Exposer> exposer;
  if (!config->server.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<prometheus::Exposer>> serving =
        ServeMetrics(config->server.metrics_listen, metrics);
    if (!serving.ok()) {
      logger.Log(LogLevel::kError, absl::StrCat("cannot start: ", serving.status().message()));
      return 2;
    }
    exposer = *std::move(serving);
    exposer->RegisterCollectable(process_metrics);
    const auto ports = exposer->GetListeningPorts();
    logger.Log(LogLevel::kInfo,
               absl::StrCat("metrics on port ", ports.empty() ? 0 : ports.front()));
  }

  // Health answers for the server ("") and for the archive service by name.
  // Reflection: gRPC's plugin serves v1alpha; gRPC 1.51 has no v1, which the
  // gateway serves itself from the same descriptors.
  HealthService health({archive_service});
  ReflectionV1Service reflection_v1({archive_service, grpc::health::v1::Health::service_full_name(),
                                     grpc::reflection::v1::ServerReflection::service_full_name(),
                                     "grpc.reflection.v1alpha.ServerReflection"});
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config->server.listen, ListenerCredentials(*config), &port);
  builder.RegisterService(&service);
  builder.RegisterService(&health);
  builder.RegisterService(&reflection_v1);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             config->server.max_streams_per_connection);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<UndecodableRequestInterceptorFactory>(logger, metrics));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    logger.Log(LogLevel::kError, absl::StrCat("cannot listen on ", config->server.listen));
    return 2;
  }
  health.SetServing(true);
  if (!config->server.port_file.empty()) {
    if (absl::Status written = WritePortFile(config->server.port_file, port); !written.ok()) {
      logger.Log(LogLevel::kError, absl::StrCat("--port_file: ", written.message()));
      return 2;
    }
  }
  logger.Log(
      LogLevel::kInfo,
      absl::StrCat("listening on port ", port, ", upstream ", config->archiver.endpoint.base_url(),
                   " (API ", config->archiver.endpoint.api_version(), "), auth ",
                   AbslUnparseFlag(config->service.auth.mode()),
                   !config->server.tls.has_value()         ? ", plaintext"
                   : config->server.tls->client_ca.empty() ? ", TLS"
                                                           : ", mutual TLS",
                   "; version ", ThisBuild().version, " (commit ", ThisBuild().commit, ", ",
                   BuildKind(ThisBuild()), " build)"));

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  // First, only health changes: load balancers and probers see NOT_SERVING
  // and move traffic away while the port stays open and calls are served.
  logger.Log(LogLevel::kInfo, absl::StrCat("SIG", sigabbrev_np(signal_number),
                                           ": health NOT_SERVING; still serving for --drain_delay ",
                                           absl::FormatDuration(config->server.drain_delay)));
  health.SetServing(false);
  if (WaitForSignal(stop_signals, config->server.drain_delay)) {
    logger.Log(LogLevel::kInfo, "second signal: drain delay cut short");
  }
  logger.Log(LogLevel::kInfo, absl::StrCat("draining: no new calls, ", service.in_flight_calls(),
                                           " calls in flight, grace ",
                                           absl::FormatDuration(config->server.shutdown_grace)));
  // Health watchers are told no more; they would hold the drain open.
  health.Shutdown();
  // Open streams stop reading now and end, once what they read is finished
  // and acknowledged, with UNAVAILABLE: their callers resend the rest elsewhere.
  service.DrainStreams();

  // Calls still running when the grace period ends are cancelled: stopping the
  // transport ends their upstream requests, stopping the scheduler their waits.
  absl::Notification drained;
  std::thread canceller([&] {
    if (!drained.WaitForNotificationWithTimeout(config->server.shutdown_grace)) {
      logger.Log(LogLevel::kWarning, "grace period over; cancelling the remaining calls");
      (*transport)->Shutdown();
      scheduler.Shutdown();
    }
  });
  // gRPC's own forced cancellation comes a moment later, so that callers get
  // the gateway's clear "shutting down" status rather than a bare one.
  server->Shutdown(
      absl::ToChronoTime(absl::Now() + config->server.shutdown_grace + kForcedCancelMargin));
  drained.Notify();
  canceller.join();
  server->Wait();
  logger.Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace
}  // namespace hubspot_gateway

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "gRPC gateway to HubSpot's associations batch/archive API.\n"
      "  HUBSPOT_ACCESS_TOKEN=... gateway --listen=127.0.0.1:50051");
  absl::FlagsUsageConfig usage;
  usage.version_string = [] { return VersionText(hubspot_gateway::ThisBuild()); };
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  // Debian's abseil is built with mutex deadlock detection on, which tracks
  // every lock in a graph: measurable on the per-call path (callgrind).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return hubspot_gateway::Run();
}
