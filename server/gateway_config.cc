#include "server/gateway_config.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/api/api_flags.h"
#include "server/archive/archive_flags.h"
#include "server/budget/budget_flags.h"
#include "server/common/files.h"
#include "server/dispatch/dispatch_flags.h"
#include "server/http/transport_flags.h"
#include "server/labels/labels_flags.h"

namespace {
const hubspot_gateway::ServerOptions kServerDefaults;
}  // namespace

ABSL_FLAG(std::string, listen, kServerDefaults.listen,
          "gRPC listen address, host:port with a port from 1 to 65535 (0 picks a free one)");
ABSL_FLAG(std::string, port_file, "",
          "If set, the bound port is written to this file once serving");
ABSL_FLAG(
    absl::Duration, drain_delay, kServerDefaults.drain_delay,
    "On SIGTERM/SIGINT/SIGHUP, how long health reports NOT_SERVING while the port stays open and "
    "calls are still served, before new calls are refused (a second signal cuts it short)");
ABSL_FLAG(absl::Duration, shutdown_grace, kServerDefaults.shutdown_grace,
          "After --drain_delay, how long in-flight calls may finish before being cancelled");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain: serve gRPC over TLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: require callers to present a certificate it signed (mutual TLS)");
ABSL_FLAG(int, max_streams_per_connection, kServerDefaults.max_streams_per_connection,
          "Concurrent calls one client connection may carry; further calls wait in the client");
ABSL_FLAG(std::string, metrics_listen, "",
          "If set, serve Prometheus metrics at http://ADDRESS/metrics (host:port with a port "
          "from 1 to 65535; 0 picks a free one, logged at startup)");

namespace hubspot_gateway {
namespace {

// A listen address is "host:port" (an IPv6 host in brackets) with a port
// from 1 to 65535, or 0 for a free one: gRPC would otherwise take 99999
// modulo 65536 and listen on a port nobody asked for.
absl::Status CheckListenAddress(absl::string_view flag, absl::string_view address) {
  const size_t colon = address.rfind(':');
  const absl::string_view host = colon == absl::string_view::npos ? "" : address.substr(0, colon);
  const absl::string_view port_text =
      colon == absl::string_view::npos ? "" : address.substr(colon + 1);
  const bool bracketed = absl::StartsWith(host, "[") && absl::EndsWith(host, "]");
  uint32_t port = 0;
  if (host.empty() || (!bracketed && absl::StrContains(host, ':')) || port_text.empty() ||
      port_text.size() > 5 || !absl::c_all_of(port_text, absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " must be host:port with a port from 1 to 65535 (0 picks a free one), e.g. ",
        "127.0.0.1:50051 or [::1]:50051; got \"", absl::CHexEscape(address), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadPemFile(absl::string_view flag, const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFileToString(flag, path);
  if (!pem.ok() || pem->find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read a PEM file at ", path));
  }
  return pem;
}

absl::StatusOr<std::optional<ListenerTls>> ListenerTlsFromFlags(
    std::vector<std::string>* warnings) {
  const std::string cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_tls_key);
  const std::string client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  if (cert.empty() && key.empty()) {
    if (!client_ca.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
    }
    return std::optional<ListenerTls>();
  }
  if (cert.empty() || key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  ListenerTls tls;
  absl::StatusOr<std::string> pem = ReadPemFile("--tls_cert", cert);
  if (!pem.ok()) return pem.status();
  tls.certificate_chain = *std::move(pem);
  pem = ReadPemFile("--tls_key", key);
  if (!pem.ok()) return pem.status();
  tls.private_key = *std::move(pem);
  if (auto warning = ReadableByOthersWarning("--tls_key", key)) {
    warnings->push_back(*std::move(warning));
  }
  if (!client_ca.empty()) {
    pem = ReadPemFile("--tls_client_ca", client_ca);
    if (!pem.ok()) return pem.status();
    tls.client_ca = *std::move(pem);
  }
  return std::optional<ListenerTls>(std::move(tls));
}

absl::StatusOr<ServerOptions> ServerOptionsFromFlags(std::vector<std::string>* warnings) {
  ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  if (absl::Status valid = CheckListenAddress("--listen", options.listen); !valid.ok()) {
    return valid;
  }
  options.port_file = absl::GetFlag(FLAGS_port_file);
  options.max_streams_per_connection = absl::GetFlag(FLAGS_max_streams_per_connection);
  if (options.max_streams_per_connection < 1) {
    return absl::InvalidArgumentError("--max_streams_per_connection must be at least 1");
  }
  options.drain_delay = absl::GetFlag(FLAGS_drain_delay);
  if (options.drain_delay < absl::ZeroDuration() ||
      options.drain_delay == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("--drain_delay must be a finite duration, 0 or more");
  }
  options.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  if (options.shutdown_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--shutdown_grace must not be negative");
  }
  absl::StatusOr<std::optional<ListenerTls>> tls = ListenerTlsFromFlags(warnings);
  if (!tls.ok()) return tls.status();
  options.tls = *std::move(tls);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (!options.metrics_listen.empty()) {
    if (absl::Status valid = CheckListenAddress("--metrics_listen", options.metrics_listen);
        !valid.ok()) {
      return valid;
    }
  }
  return options;
}

}  // namespace

absl::StatusOr<GatewayConfig> GatewayConfigFromFlags(EnvironmentLookup environment) {
  GatewayConfig config;
  absl::StatusOr<ServerOptions> server = ServerOptionsFromFlags(&config.warnings);
  if (!server.ok()) return server.status();
  config.server = *std::move(server);
  absl::StatusOr<ArchiverOptions> archiver = ArchiverOptionsFromFlags();
  if (!archiver.ok()) return archiver.status();
  config.archiver = *std::move(archiver);
  absl::StatusOr<UnlabeledTypeCacheOptions> labels_cache = UnlabeledTypeCacheOptionsFromFlags();
  if (!labels_cache.ok()) return labels_cache.status();
  config.labels_cache = *labels_cache;
  absl::StatusOr<DispatchOptions> dispatch = DispatchOptionsFromFlags();
  if (!dispatch.ok()) return dispatch.status();
  config.dispatch = *std::move(dispatch);
  absl::StatusOr<std::optional<BudgetStoreOptions>> store =
      BudgetStoreOptionsFromFlags(environment, &config.warnings);
  if (!store.ok()) return store.status();
  config.budget_store = *std::move(store);
  absl::StatusOr<CurlMultiTransport::Options> transport = TransportOptionsFromFlags();
  if (!transport.ok()) return transport.status();
  config.transport = *transport;
  absl::StatusOr<ServiceOptions> service = ServiceOptionsFromFlags(environment, &config.warnings);
  if (!service.ok()) return service.status();
  config.service = *std::move(service);
  return config;
}

}  // namespace hubspot_gateway
