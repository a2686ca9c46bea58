#include "server/gateway_config.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/status_macros.h"

namespace hubspot_gateway {
namespace {

absl::Status CheckBaseUrl(absl::string_view url) {
  if (!absl::StartsWith(url, "https://") && !absl::StartsWith(url, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--hubspot_base_url must start with https:// or http://, got \"", url, "\""));
  }
  for (char c : url) {
    if (!absl::ascii_isgraph(c)) {
      return absl::InvalidArgumentError("--hubspot_base_url contains spaces or control bytes");
    }
  }
  return absl::OkStatus();
}

// "YYYY-MM" (the date-versioned API) or "v4" (the legacy path).
absl::Status CheckApiVersion(absl::string_view version) {
  if (version == "v4") return absl::OkStatus();
  const bool well_formed = version.size() == 7 && version[4] == '-' &&
                           absl::c_all_of(version.substr(0, 4), absl::ascii_isdigit) &&
                           absl::c_all_of(version.substr(5), absl::ascii_isdigit);
  if (well_formed) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--hubspot_api_version must be YYYY-MM (e.g. 2026-03) or v4, got \"", version, "\""));
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read --hubspot_token_file ", path));
  }
  std::stringstream contents;
  contents << file.rdbuf();
  return std::string(absl::StripAsciiWhitespace(contents.str()));
}

absl::StatusOr<std::string> ReadPemFile(const char* flag, const std::string& path) {
  std::ifstream file(path);
  std::stringstream contents;
  contents << file.rdbuf();
  if (!file || contents.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read a PEM file at ", path));
  }
  return contents.str();
}

absl::StatusOr<absl::optional<ListenerTls>> ResolveListenerTls(const GatewayFlags& flags) {
  if (flags.tls_cert.empty() && flags.tls_key.empty()) {
    if (!flags.tls_client_ca.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
    }
    return absl::optional<ListenerTls>();
  }
  if (flags.tls_cert.empty() || flags.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  ListenerTls tls;
  absl::StatusOr<std::string> pem = ReadPemFile("--tls_cert", flags.tls_cert);
  if (!pem.ok()) return pem.status();
  tls.certificate_chain = *std::move(pem);
  pem = ReadPemFile("--tls_key", flags.tls_key);
  if (!pem.ok()) return pem.status();
  tls.private_key = *std::move(pem);
  if (!flags.tls_client_ca.empty()) {
    pem = ReadPemFile("--tls_client_ca", flags.tls_client_ca);
    if (!pem.ok()) return pem.status();
    tls.client_ca = *std::move(pem);
  }
  return absl::optional<ListenerTls>(std::move(tls));
}

absl::StatusOr<std::string> ResolveGatewayToken(const GatewayFlags& flags,
                                                EnvironmentLookup environment) {
  std::string token;
  std::string source;
  if (absl::optional<std::string> env = environment("HUBSPOT_ACCESS_TOKEN");
      env.has_value() && !env->empty()) {
    token = std::string(absl::StripAsciiWhitespace(*env));
    source = "HUBSPOT_ACCESS_TOKEN";
  } else if (!flags.hubspot_token_file.empty()) {
    absl::StatusOr<std::string> from_file = ReadTokenFile(flags.hubspot_token_file);
    if (!from_file.ok()) return from_file.status();
    token = *std::move(from_file);
    source = absl::StrCat("--hubspot_token_file ", flags.hubspot_token_file);
  } else {
    return absl::FailedPreconditionError(
        "no HubSpot token: set HUBSPOT_ACCESS_TOKEN or --hubspot_token_file, "
        "or use --auth_mode=passthrough to forward each caller's token");
  }
  if (!IsWellFormedToken(token)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the token from ", source,
        " is empty, too long or contains characters a header cannot carry"));
  }
  return token;
}

}  // namespace

std::string GatewayConfig::ArchiveUrl(absl::string_view from_object_type,
                                      absl::string_view to_object_type) const {
  if (hubspot_api_version == "v4") {
    return absl::StrCat(hubspot_base_url, "/crm/v4/associations/", from_object_type, "/",
                        to_object_type, "/batch/archive");
  }
  return absl::StrCat(hubspot_base_url, "/crm/associations/", hubspot_api_version, "/",
                      from_object_type, "/", to_object_type, "/batch/archive");
}

absl::StatusOr<GatewayConfig> BuildGatewayConfig(const GatewayFlags& flags,
                                                 EnvironmentLookup environment) {
  GatewayConfig config;
  if (flags.listen.empty()) {
    return absl::InvalidArgumentError("--listen must be host:port, e.g. 127.0.0.1:50051");
  }
  config.listen = flags.listen;
  config.port_file = flags.port_file;

  GATEWAY_RETURN_IF_ERROR(CheckBaseUrl(flags.hubspot_base_url));
  config.hubspot_base_url = std::string(absl::StripSuffix(flags.hubspot_base_url, "/"));
  GATEWAY_RETURN_IF_ERROR(CheckApiVersion(flags.hubspot_api_version));
  config.hubspot_api_version = flags.hubspot_api_version;

  if (flags.upstream_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--upstream_timeout must be positive");
  }
  config.upstream_timeout = flags.upstream_timeout;
  if (flags.shutdown_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--shutdown_grace must not be negative");
  }
  config.shutdown_grace = flags.shutdown_grace;
  if (flags.max_upstream_connections < 1) {
    return absl::InvalidArgumentError("--max_upstream_connections must be at least 1");
  }
  config.max_upstream_connections = flags.max_upstream_connections;
  if (flags.max_inputs_per_request < 1) {
    return absl::InvalidArgumentError("--max_inputs_per_request must be at least 1");
  }
  config.max_inputs_per_request = flags.max_inputs_per_request;
  if (flags.max_concurrent_requests_per_call < 1) {
    return absl::InvalidArgumentError("--max_concurrent_requests_per_call must be at least 1");
  }
  config.max_concurrent_requests_per_call = flags.max_concurrent_requests_per_call;
  if (flags.max_in_flight_calls < 1) {
    return absl::InvalidArgumentError("--max_in_flight_calls must be at least 1");
  }
  config.max_in_flight_calls = flags.max_in_flight_calls;
  if (flags.rate_limit_per_10s < 0) {
    return absl::InvalidArgumentError("--rate_limit_per_10s must not be negative (0: no limit)");
  }
  config.rate_limit_per_10s = flags.rate_limit_per_10s;
  if (flags.max_attempts < 1) {
    return absl::InvalidArgumentError("--max_attempts must be at least 1");
  }
  config.retry.max_attempts = flags.max_attempts;
  if (flags.initial_backoff <= absl::ZeroDuration() ||
      flags.max_backoff < flags.initial_backoff) {
    return absl::InvalidArgumentError(
        "--initial_backoff must be positive and not above --max_backoff");
  }
  config.backoff.initial_delay = flags.initial_backoff;
  config.backoff.max_delay = flags.max_backoff;

  absl::StatusOr<absl::optional<ListenerTls>> tls = ResolveListenerTls(flags);
  if (!tls.ok()) return tls.status();
  config.tls = *std::move(tls);

  if (flags.log_format == "json") {
    config.log_format = LogFormat::kJson;
  } else if (flags.log_format != "text") {
    return absl::InvalidArgumentError(
        absl::StrCat("--log_format must be text or json, got \"", flags.log_format, "\""));
  }

  if (flags.auth_mode == "passthrough") {
    config.auth_mode = AuthMode::kPassthrough;
  } else if (flags.auth_mode == "caller_keys") {
    config.auth_mode = AuthMode::kCallerKeys;
    if (flags.callers_file.empty()) {
      return absl::InvalidArgumentError("--auth_mode=caller_keys needs --callers_file");
    }
    std::ifstream file(flags.callers_file);
    std::stringstream text;
    text << file.rdbuf();
    if (!file) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read --callers_file ", flags.callers_file));
    }
    absl::StatusOr<CallerRegistry> callers = CallerRegistry::Parse(text.str(), environment);
    if (!callers.ok()) return callers.status();
    config.callers = std::make_shared<const CallerRegistry>(*std::move(callers));
  } else if (flags.auth_mode == "gateway_token") {
    config.auth_mode = AuthMode::kGatewayToken;
    absl::StatusOr<std::string> token = ResolveGatewayToken(flags, environment);
    if (!token.ok()) return token.status();
    config.gateway_token = *std::move(token);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--auth_mode must be gateway_token, passthrough or caller_keys, got \"",
        flags.auth_mode, "\""));
  }
  return config;
}

}  // namespace hubspot_gateway
