#include "server/api/caller_registry.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "server/common/digest.h"
#include "server/common/strict_json.h"
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
  constexpr absl::string_view kFormat =
      "--callers_file must be JSON: {\"callers\": [{\"name\", \"api_key_sha256\", "
      "\"hubspot_token_env\" or \"hubspot_token\"}, ...]}";
  absl::StatusOr<json> root = ParseStrictJson(text);
  if (!root.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(kFormat, ": ", root.status().message()));
  }
  if (!root->is_object() || !root->contains("callers") || !(*root)["callers"].is_array()) {
    return absl::InvalidArgumentError(kFormat);
  }
  const json& callers = (*root)["callers"];
  const std::string empty_key_digest = Sha256Hex("");
  CallerRegistry registry;
  for (size_t i = 0; i < callers.size(); ++i) {
    const json& entry = callers[i];
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
    if (absl::AsciiStrToLower(*digest) == empty_key_digest) {
      return absl::InvalidArgumentError(
          named +
          ": \"api_key_sha256\" is the SHA-256 of an empty key (was the key's variable unset "
          "when it was hashed?); an empty x-api-key never authenticates");
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
      registry.holds_tokens_ = true;
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
  if (api_key.empty()) return nullptr;
  auto it = by_digest_.find(Sha256Hex(api_key));
  return it == by_digest_.end() ? nullptr : &it->second;
}

}  // namespace hubspot_gateway
