#include "server/api/caller_registry.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "server/common/digest.h"
#include "server/hubspot/bearer_token.h"

namespace hubspot_gateway {
namespace {

using json = nlohmann::json;

bool IsSha256Hex(absl::string_view text) {
  return text.size() == 64 && absl::c_all_of(text, [](char c) {
           return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

const std::string* StringMember(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

}  // namespace

absl::StatusOr<CallerRegistry> CallerRegistry::Parse(absl::string_view text,
                                                     EnvironmentLookup environment) {
  const json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object() || !root.contains("callers") ||
      !root["callers"].is_array()) {
    return absl::InvalidArgumentError(
        "--callers_file must be JSON: {\"callers\": [{\"name\", \"api_key_sha256\", "
        "\"hubspot_token_env\" or \"hubspot_token\"}, ...]}");
  }
  CallerRegistry registry;
  for (size_t i = 0; i < root["callers"].size(); ++i) {
    const json& entry = root["callers"][i];
    const std::string where = absl::StrCat("--callers_file: callers[", i, "]");
    if (!entry.is_object()) return absl::InvalidArgumentError(where + " is not an object");
    const std::string* name = StringMember(entry, "name");
    const std::string* digest = StringMember(entry, "api_key_sha256");
    if (name == nullptr || name->empty()) {
      return absl::InvalidArgumentError(where + ": \"name\" is required");
    }
    const std::string named = absl::StrCat(where, " (", *name, ")");
    if (digest == nullptr || !IsSha256Hex(absl::AsciiStrToLower(*digest))) {
      return absl::InvalidArgumentError(
          named + ": \"api_key_sha256\" must be 64 hex digits (printf %s KEY | sha256sum)");
    }
    Caller caller;
    caller.name = *name;
    if (const std::string* variable = StringMember(entry, "hubspot_token_env")) {
      std::optional<std::string> value = environment(variable->c_str());
      if (!value.has_value()) {
        return absl::FailedPreconditionError(
            absl::StrCat(named, ": environment variable ", *variable, " is not set"));
      }
      caller.hubspot_token = std::string(absl::StripAsciiWhitespace(*value));
    } else if (const std::string* token = StringMember(entry, "hubspot_token")) {
      caller.hubspot_token = *token;
    }
    if (!IsWellFormedToken(caller.hubspot_token)) {
      return absl::InvalidArgumentError(
          named + ": needs a well-formed \"hubspot_token_env\" or \"hubspot_token\"");
    }
    if (auto policy = entry.find("policy"); policy != entry.end()) {
      absl::StatusOr<CallerPolicy> parsed = ParseCallerPolicy(*policy, named);
      if (!parsed.ok()) return parsed.status();
      caller.policy = std::make_shared<const CallerPolicy>(*std::move(parsed));
    }
    if (!registry.by_digest_.emplace(absl::AsciiStrToLower(*digest), std::move(caller)).second) {
      return absl::InvalidArgumentError(named + ": the same key is registered twice");
    }
  }
  if (registry.by_digest_.empty()) {
    return absl::InvalidArgumentError("--callers_file registers no caller");
  }
  return registry;
}

const Caller* CallerRegistry::Find(absl::string_view api_key) const {
  auto it = by_digest_.find(Sha256Hex(api_key));
  return it == by_digest_.end() ? nullptr : &it->second;
}

}  // namespace hubspot_gateway
