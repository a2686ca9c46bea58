#include "server/api/api_flags.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "server/common/files.h"
#include "server/hubspot/bearer_token.h"

ABSL_FLAG(hubspot_gateway::AuthMode, auth_mode, hubspot_gateway::AuthMode::kGatewayToken,
          "gateway_token (the gateway's own token), passthrough (each caller's "
          "'authorization: Bearer' metadata) or caller_keys (each caller's 'x-api-key', "
          "mapped by --callers_file)");
ABSL_FLAG(std::string, hubspot_token_file, "",
          "File holding the gateway's HubSpot token (HUBSPOT_ACCESS_TOKEN takes precedence)");
ABSL_FLAG(std::string, callers_file, "",
          "With --auth_mode=caller_keys: JSON mapping callers' API keys (as SHA-256 hex) to "
          "the HubSpot token their calls use (see server/api/caller_registry.h)");
ABSL_FLAG(int, max_in_flight_calls, hubspot_gateway::ServiceOptions().max_in_flight_calls,
          "Calls beyond this many in flight are refused at once with RESOURCE_EXHAUSTED");
ABSL_FLAG(int, max_inputs_per_call, hubspot_gateway::ServiceOptions().max_inputs_per_call,
          "Inputs one unary ArchiveAssociations call may carry; more are refused with "
          "INVALID_ARGUMENT pointing to ArchiveAssociationsStream");
ABSL_FLAG(int, max_streams_per_caller, hubspot_gateway::ServiceOptions().max_streams_per_caller,
          "Bulk streams one caller (one network address) may hold open; more are refused "
          "with RESOURCE_EXHAUSTED. Behind a proxy every caller shares its address: raise it");
ABSL_FLAG(absl::Duration, stream_idle_timeout,
          hubspot_gateway::ServiceOptions().stream_idle_timeout,
          "An ArchiveAssociationsStream with no request read and none in flight this long is "
          "ended with DEADLINE_EXCEEDED ('inf' for never)");
ABSL_FLAG(hubspot_gateway::LogFormat, log_format, hubspot_gateway::LogFormat::kText,
          "text (key=value lines) or json (one JSON object per line)");

namespace hubspot_gateway {
namespace {

absl::StatusOr<std::string> ResolveGatewayToken(EnvironmentLookup environment,
                                                std::vector<std::string>* warnings) {
  std::string token;
  std::string source;
  const std::string token_file = absl::GetFlag(FLAGS_hubspot_token_file);
  if (std::optional<std::string> env = environment("HUBSPOT_ACCESS_TOKEN");
      env.has_value() && !env->empty()) {
    token = std::string(absl::StripAsciiWhitespace(*env));
    source = "HUBSPOT_ACCESS_TOKEN";
  } else if (!token_file.empty()) {
    absl::StatusOr<std::string> from_file = ReadFileToString("--hubspot_token_file", token_file);
    if (!from_file.ok()) return from_file.status();
    token = std::string(absl::StripAsciiWhitespace(*from_file));
    source = absl::StrCat("--hubspot_token_file ", token_file);
    if (auto warning = ReadableByOthersWarning("--hubspot_token_file", token_file)) {
      warnings->push_back(*std::move(warning));
    }
  } else {
    return absl::FailedPreconditionError(
        "no HubSpot token: set HUBSPOT_ACCESS_TOKEN or --hubspot_token_file, "
        "or use --auth_mode=passthrough to forward each caller's token");
  }
  if (!IsWellFormedToken(token)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the token from ", source,
                     " is empty, too long or contains characters a header cannot carry"));
  }
  return token;
}

absl::StatusOr<CallerAuth> CallerAuthFromFlags(EnvironmentLookup environment,
                                               std::vector<std::string>* warnings) {
  switch (absl::GetFlag(FLAGS_auth_mode)) {
    case AuthMode::kPassthrough:
      return CallerAuth::Passthrough();
    case AuthMode::kGatewayToken: {
      absl::StatusOr<std::string> token = ResolveGatewayToken(environment, warnings);
      if (!token.ok()) return token.status();
      return CallerAuth::GatewayToken(*std::move(token));
    }
    case AuthMode::kCallerKeys:
      break;
  }
  const std::string callers_file = absl::GetFlag(FLAGS_callers_file);
  if (callers_file.empty()) {
    return absl::InvalidArgumentError("--auth_mode=caller_keys needs --callers_file");
  }
  absl::StatusOr<std::string> text = ReadFileToString("--callers_file", callers_file);
  if (!text.ok()) return text.status();
  absl::StatusOr<CallerRegistry> callers = CallerRegistry::Parse(*text, environment);
  if (!callers.ok()) return callers.status();
  if (callers->holds_tokens()) {
    if (auto warning = ReadableByOthersWarning("--callers_file", callers_file)) {
      warnings->push_back(*std::move(warning));
    }
  }
  return CallerAuth::CallerKeys(std::make_shared<const CallerRegistry>(*std::move(callers)));
}

}  // namespace

absl::StatusOr<ServiceOptions> ServiceOptionsFromFlags(EnvironmentLookup environment,
                                                       std::vector<std::string>* warnings) {
  ServiceOptions options;
  absl::StatusOr<CallerAuth> auth = CallerAuthFromFlags(environment, warnings);
  if (!auth.ok()) return auth.status();
  options.auth = *std::move(auth);
  options.max_in_flight_calls = absl::GetFlag(FLAGS_max_in_flight_calls);
  if (options.max_in_flight_calls < 1) {
    return absl::InvalidArgumentError("--max_in_flight_calls must be at least 1");
  }
  options.max_inputs_per_call = absl::GetFlag(FLAGS_max_inputs_per_call);
  if (options.max_inputs_per_call < 1) {
    return absl::InvalidArgumentError("--max_inputs_per_call must be at least 1");
  }
  options.max_streams_per_caller = absl::GetFlag(FLAGS_max_streams_per_caller);
  if (options.max_streams_per_caller < 1) {
    return absl::InvalidArgumentError("--max_streams_per_caller must be at least 1");
  }
  options.stream_idle_timeout = absl::GetFlag(FLAGS_stream_idle_timeout);
  if (options.stream_idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--stream_idle_timeout must be positive");
  }
  return options;
}

LogFormat LogFormatFromFlags() { return absl::GetFlag(FLAGS_log_format); }

}  // namespace hubspot_gateway
