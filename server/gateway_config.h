// GatewayConfig: every setting of the gateway process, built once at startup
// from the flags (each declared beside the component it configures) and the
// environment, validated, then shared read-only.
// Immutable after GatewayConfigFromFlags returns: safe to read from any thread.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_GATEWAY_CONFIG_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_GATEWAY_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/api/associations_archive_service.h"
#include "server/archive/associations_archiver.h"
#include "server/budget/redis_budget.h"
#include "server/common/environment.h"
#include "server/dispatch/token_dispatcher.h"
#include "server/http/curl_multi_transport.h"
#include "server/labels/unlabeled_type_cache.h"

namespace hubspot_gateway {

// TLS for the gRPC listener, as PEM text read at startup.
struct ListenerTls {
  std::string certificate_chain;
  std::string private_key;  // A secret: never log it.
  // When set, callers must present a certificate signed by one of these.
  std::string client_ca;
};

// The process's own settings (this file's flags).
struct ServerOptions {
  std::string listen = "127.0.0.1:50051";
  // Where to write the bound port once serving; empty for nowhere.
  std::string port_file;
  // On SIGTERM/SIGINT/SIGHUP, how long health reports NOT_SERVING while the port
  // stays open and calls are still served, so that load balancers and
  // probers see it before new connections are refused.
  absl::Duration drain_delay = absl::Seconds(5);
  // Then, once no new calls are accepted, how long in-flight calls may finish.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Plain-text listener when absent.
  std::optional<ListenerTls> tls;
  // Prometheus metrics at http://ADDRESS/metrics; empty for none.
  std::string metrics_listen;
  // Concurrent calls (HTTP/2 streams) one connection may carry
  // (GRPC_ARG_MAX_CONCURRENT_STREAMS); a client queues the rest.
  int max_streams_per_connection = 1000;
};

struct GatewayConfig {
  ServerOptions server;
  ServiceOptions service;
  ArchiverOptions archiver;
  // The labels guard's cache of each pair's unlabeled types.
  UnlabeledTypeCacheOptions labels_cache;
  DispatchOptions dispatch;
  // Replicas share each token's budget through it; absent: local budgets.
  std::optional<BudgetStoreOptions> budget_store;
  CurlMultiTransport::Options transport;
  // What the operator should fix but need not (a secret file every user may
  // read), to log once at startup. No token or password in them.
  std::vector<std::string> warnings;
};

// Reads every flag and resolves the token or callers file. INVALID_ARGUMENT
// or FAILED_PRECONDITION explains what to fix; no message contains a token.
// Listen addresses are host:port with a port from 0 (a free one) to 65535.
absl::StatusOr<GatewayConfig> GatewayConfigFromFlags(EnvironmentLookup environment);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_GATEWAY_CONFIG_H_
