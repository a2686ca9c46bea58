#include "server/api/caller_auth.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/hubspot/bearer_token.h"

namespace hubspot_gateway {

bool AbslParseFlag(absl::string_view text, AuthMode* mode, std::string* error) {
  if (text == "gateway_token") {
    *mode = AuthMode::kGatewayToken;
  } else if (text == "passthrough") {
    *mode = AuthMode::kPassthrough;
  } else if (text == "caller_keys") {
    *mode = AuthMode::kCallerKeys;
  } else {
    *error = absl::StrCat("must be gateway_token, passthrough or caller_keys, got \"", text, "\"");
    return false;
  }
  return true;
}

std::string AbslUnparseFlag(AuthMode mode) {
  switch (mode) {
    case AuthMode::kGatewayToken:
      return "gateway_token";
    case AuthMode::kPassthrough:
      return "passthrough";
    case AuthMode::kCallerKeys:
      return "caller_keys";
  }
  return "gateway_token";
}

absl::StatusOr<std::string> BearerTokenFromMetadata(const CallMetadata& metadata) {
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "this gateway forwards the caller's HubSpot token: send metadata "
        "'authorization: Bearer <token>'");
  }
  const absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme) ||
      !IsWellFormedToken(value.substr(kScheme.size()))) {
    return absl::UnauthenticatedError(
        "the 'authorization' metadata must be 'Bearer <token>' with a well-formed token");
  }
  return std::string(value.substr(kScheme.size()));
}

CallerAuth::CallerAuth(AuthMode mode, std::string gateway_token,
                       std::shared_ptr<const CallerRegistry> callers)
    : mode_(mode), gateway_token_(std::move(gateway_token)), callers_(std::move(callers)) {}

CallerAuth CallerAuth::GatewayToken(std::string token) {
  return CallerAuth(AuthMode::kGatewayToken, std::move(token), nullptr);
}

CallerAuth CallerAuth::Passthrough() { return CallerAuth(AuthMode::kPassthrough, "", nullptr); }

CallerAuth CallerAuth::CallerKeys(std::shared_ptr<const CallerRegistry> callers) {
  return CallerAuth(AuthMode::kCallerKeys, "", std::move(callers));
}

absl::StatusOr<std::string> CallerAuth::TokenFor(const CallMetadata& metadata) const {
  switch (mode_) {
    case AuthMode::kGatewayToken:
      return gateway_token_;
    case AuthMode::kPassthrough:
      return BearerTokenFromMetadata(metadata);
    case AuthMode::kCallerKeys:
      break;
  }
  if (const Caller* caller = CallerFor(metadata); caller != nullptr) return caller->hubspot_token;
  if (auto key = metadata.find("x-api-key"); key != metadata.end() && key->second.empty()) {
    return absl::UnauthenticatedError(
        "the 'x-api-key' metadata is empty (is the variable meant to hold the key unset?); an "
        "empty key never authenticates");
  }
  return absl::UnauthenticatedError(
      "send a registered API key in the 'x-api-key' metadata (none, or an unknown one, "
      "was sent)");
}

const Caller* CallerAuth::CallerFor(const CallMetadata& metadata) const {
  if (mode_ != AuthMode::kCallerKeys) return nullptr;
  auto key = metadata.find("x-api-key");
  if (key == metadata.end()) return nullptr;
  return callers_->Find(absl::string_view(key->second.data(), key->second.size()));
}

}  // namespace hubspot_gateway
