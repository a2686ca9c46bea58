// hubspot_simulator: a stand-in for HubSpot's CRM association batch API on
// loopback, for the demo, integration tests and benchmarks. See
// simulator/README.md for the flags and the /_admin/ API.
#include <pthread.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "server/common/files.h"
#include "simulator/simulator_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port to listen on; port 0 picks a free port.");
ABSL_FLAG(std::string, port_file, "", "Once listening, write the port number here (atomically).");
ABSL_FLAG(std::vector<std::string>, tokens, {"sim-token"},
          "Comma-separated bearer tokens that have every scope.");
ABSL_FLAG(std::vector<std::string>, tokens_without_scopes, {},
          "Comma-separated valid bearer tokens that lack the write scope "
          "(answered 403).");
ABSL_FLAG(std::string, success_mode, "per_version",
          "How a successful batch/archive or batch/labels/archive is answered: per_version "
          "(v4: 204; 2026-03: 200 BatchResponse; 2026-09 and later: 200 BatchResponseVoid), "
          "or forced for every version: 204, batch_response or batch_response_void.");
ABSL_FLAG(bool, archive_missing_as_errors, false,
          "batch/archive answers a pair that is not associated with a per-input error of a 207 "
          "(OBJECT_NOT_FOUND, as labels/archive does) instead of accepting it; whether HubSpot "
          "does is unconfirmed");
ABSL_FLAG(int64_t, max_inputs, 100,
          "Most inputs one batch/archive request may carry; more is a 400.");
ABSL_FLAG(int64_t, rate_limit_per_10s, 190,
          "Requests per token per rolling window; 0 = unlimited.");
ABSL_FLAG(int64_t, advertised_rate_limit_per_10s, 0,
          "What X-HubSpot-RateLimit-Max (and -Remaining) report, when it should differ "
          "from the limit enforced (0: the enforced one)");
ABSL_FLAG(bool, rate_limit_headers, true,
          "Send the X-HubSpot-RateLimit-Max/-Remaining/-Interval-Milliseconds headers of the "
          "rolling window (false: enforce it without telling)");
ABSL_FLAG(int64_t, rate_limit_interval_ms, 10000, "Length of the rolling rate-limit window.");
ABSL_FLAG(int64_t, daily_limit, 0,
          "Requests per token over the process lifetime (HubSpot's daily "
          "limit); 0 = unlimited.");
ABSL_FLAG(int64_t, latency_ms, 0, "Latency added to every HubSpot-route request.");
ABSL_FLAG(double, error_rate, 0, "Fraction of HubSpot-route requests answered --error_status.");
ABSL_FLAG(int, error_status, 503, "Status of injected errors (400..599).");
ABSL_FLAG(double, drop_rate, 0, "Fraction of HubSpot-route requests whose connection is dropped.");
ABSL_FLAG(double, malformed_rate, 0,
          "Fraction of HubSpot-route requests answered with truncated JSON.");
ABSL_FLAG(double, hang_rate, 0,
          "Fraction of HubSpot-route requests held --hang_ms before the "
          "answer.");
ABSL_FLAG(int64_t, hang_ms, 60000, "How long a hanging request waits.");
ABSL_FLAG(int, threads, 64, "Handler threads (one per open connection).");

namespace hubspot_simulator {
namespace {

struct ListenAddress {
  std::string host;
  int port = 0;
};

// Parses "host:port", where host may be a bracketed IPv6 address.
absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text) {
  const size_t colon = text.rfind(':');
  ListenAddress address;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(text.substr(colon + 1), &address.port) || address.port < 0 ||
      address.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--listen must be host:port, got '", text, "'"));
  }
  absl::string_view host = text.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  address.host = std::string(host);
  return address;
}

std::vector<std::string> NonEmpty(std::vector<std::string> values) {
  values.erase(std::remove(values.begin(), values.end(), ""), values.end());
  return values;
}

absl::StatusOr<SimulatorOptions> OptionsFromFlags() {
  SimulatorOptions options;
  options.routes.tokens = NonEmpty(absl::GetFlag(FLAGS_tokens));
  options.routes.tokens_without_scopes = NonEmpty(absl::GetFlag(FLAGS_tokens_without_scopes));

  absl::StatusOr<SuccessMode> success_mode = ParseSuccessMode(absl::GetFlag(FLAGS_success_mode));
  if (!success_mode.ok()) return success_mode.status();
  options.routes.success_mode = *success_mode;
  options.routes.archive_missing_as_errors = absl::GetFlag(FLAGS_archive_missing_as_errors);

  const int64_t max_inputs = absl::GetFlag(FLAGS_max_inputs);
  const int64_t window_limit = absl::GetFlag(FLAGS_rate_limit_per_10s);
  const int64_t interval_ms = absl::GetFlag(FLAGS_rate_limit_interval_ms);
  const int64_t daily_limit = absl::GetFlag(FLAGS_daily_limit);
  const int threads = absl::GetFlag(FLAGS_threads);
  if (max_inputs < 1) {
    return absl::InvalidArgumentError("--max_inputs must be at least 1");
  }
  if (window_limit < 0 || daily_limit < 0) {
    return absl::InvalidArgumentError(
        "--rate_limit_per_10s and --daily_limit must not be negative");
  }
  if (interval_ms < 1) {
    return absl::InvalidArgumentError("--rate_limit_interval_ms must be at least 1");
  }
  if (threads < 1) {
    return absl::InvalidArgumentError("--threads must be at least 1");
  }
  options.routes.max_archive_inputs = static_cast<size_t>(max_inputs);
  options.rate_limits.window_limit = window_limit;
  options.rate_limits.advertised_window_limit =
      std::max<int64_t>(0, absl::GetFlag(FLAGS_advertised_rate_limit_per_10s));
  options.rate_limits.window = absl::Milliseconds(interval_ms);
  options.rate_limits.window_headers = absl::GetFlag(FLAGS_rate_limit_headers);
  options.rate_limits.daily_limit = daily_limit;
  options.threads = threads;

  // The fault flags go through the same checks as POST /_admin/faults.
  const nlohmann::json fault_flags = {
      {"latency_ms", absl::GetFlag(FLAGS_latency_ms)},
      {"error_rate", absl::GetFlag(FLAGS_error_rate)},
      {"error_status", absl::GetFlag(FLAGS_error_status)},
      {"drop_rate", absl::GetFlag(FLAGS_drop_rate)},
      {"malformed_rate", absl::GetFlag(FLAGS_malformed_rate)},
      {"hang_rate", absl::GetFlag(FLAGS_hang_rate)},
      {"hang_ms", absl::GetFlag(FLAGS_hang_ms)},
  };
  if (absl::Status status = ApplyFaultPatch(fault_flags, &options.faults); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bad fault flag: ", status.message()));
  }
  return options;
}

int Run() {
  absl::StatusOr<SimulatorOptions> options = OptionsFromFlags();
  absl::StatusOr<ListenAddress> address = ParseListenAddress(absl::GetFlag(FLAGS_listen));
  for (const absl::Status& status : {options.status(), address.status()}) {
    if (!status.ok()) {
      absl::FPrintF(stderr, "hubspot_simulator: %s\n", status.message());
      return 2;
    }
  }

  // SIGINT and SIGTERM are blocked in every thread and taken by sigwait()
  // below; the mask must be set before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  SimulatorServer server(*options);
  absl::StatusOr<int> port = server.Bind(address->host, address->port);
  if (!port.ok()) {
    absl::FPrintF(stderr, "hubspot_simulator: %s\n", port.status().message());
    return 1;
  }
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    if (absl::Status status = hubspot_gateway::WritePortFile(port_file, *port); !status.ok()) {
      absl::FPrintF(stderr, "hubspot_simulator: %s\n", status.message());
      return 1;
    }
  }
  absl::FPrintF(stderr, "hubspot_simulator listening on %s:%d\n", address->host, *port);

  std::thread signal_watcher([&stop_signals, &server] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    server.Stop();
  });
  const absl::Status served = server.Serve();
  // If Serve() ended on its own, wake the watcher; either way, wait for it.
  pthread_kill(signal_watcher.native_handle(), SIGTERM);
  signal_watcher.join();
  if (!served.ok()) {
    absl::FPrintF(stderr, "hubspot_simulator: %s\n", served.message());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace hubspot_simulator

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "A HubSpot CRM association batch API simulator; see "
      "simulator/README.md.");
  absl::ParseCommandLine(argc, argv);
  return hubspot_simulator::Run();
}
