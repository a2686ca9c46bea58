#include "server/flow/caller_policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace hubspot_gateway {
namespace {

using json = nlohmann::json;

bool PairMatches(absl::string_view pattern, absl::string_view from, absl::string_view to) {
  const std::vector<absl::string_view> parts = absl::StrSplit(pattern, '/');
  return (parts[0] == "*" || parts[0] == from) && (parts[1] == "*" || parts[1] == to);
}

absl::StatusOr<std::vector<std::string>> StringList(const json& policy, const char* key,
                                                    const std::string& where) {
  std::vector<std::string> values;
  auto it = policy.find(key);
  if (it == policy.end()) return values;
  if (!it->is_array() || it->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": \"", key, "\" must be a non-empty list of strings"));
  }
  for (const json& value : *it) {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": \"", key, "\" must be a non-empty list of strings"));
    }
    values.push_back(value.get<std::string>());
  }
  return values;
}

}  // namespace

absl::Status CallerPolicy::Allows(absl::string_view call, absl::string_view from_object_type,
                                  absl::string_view to_object_type) const {
  if (!calls.empty() && std::find(calls.begin(), calls.end(), call) == calls.end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "this caller may not use the ", call, " call (allowed: ", absl::StrJoin(calls, ", "), ")"));
  }
  if (!object_types.empty() &&
      std::none_of(object_types.begin(), object_types.end(), [&](const std::string& pattern) {
        return PairMatches(pattern, from_object_type, to_object_type);
      })) {
    return absl::PermissionDeniedError(
        absl::StrCat("this caller may not archive associations from ", from_object_type, " to ",
                     to_object_type, " (allowed: ", absl::StrJoin(object_types, ", "), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CallerPolicy> ParseCallerPolicy(const json& policy, absl::string_view where_view) {
  const std::string where = absl::StrCat(where_view, ".policy");
  if (!policy.is_object()) return absl::InvalidArgumentError(where + " must be an object");
  for (const auto& [key, value] : policy.items()) {
    if (key != "weight" && key != "max_share" && key != "calls" && key != "object_types") {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": unknown field \"", key, "\" (weight, max_share, calls, object_types)"));
    }
  }
  CallerPolicy parsed;
  if (policy.contains("weight") && policy.contains("max_share")) {
    return absl::InvalidArgumentError(where + ": give \"weight\" or \"max_share\", not both");
  }
  if (auto it = policy.find("weight"); it != policy.end()) {
    if (!it->is_number() || it->get<double>() <= 0 || it->get<double>() > 1000) {
      return absl::InvalidArgumentError(where + ": \"weight\" must be a number in (0, 1000]");
    }
    parsed.weight = it->get<double>();
  }
  if (auto it = policy.find("max_share"); it != policy.end()) {
    if (!it->is_number() || it->get<double>() <= 0 || it->get<double>() > 1) {
      return absl::InvalidArgumentError(where + ": \"max_share\" must be a number in (0, 1]");
    }
    parsed.max_share = it->get<double>();
  }
  absl::StatusOr<std::vector<std::string>> calls = StringList(policy, "calls", where);
  if (!calls.ok()) return calls.status();
  for (const std::string& call : *calls) {
    if (call != "archive" && call != "labels") {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": unknown call \"", call, "\" (archive, labels)"));
    }
  }
  parsed.calls = *std::move(calls);
  absl::StatusOr<std::vector<std::string>> pairs = StringList(policy, "object_types", where);
  if (!pairs.ok()) return pairs.status();
  for (const std::string& pair : *pairs) {
    const std::vector<absl::string_view> parts = absl::StrSplit(pair, '/');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": object type pair \"", pair, "\" must be FROM/TO (\"*\" for any)"));
    }
  }
  parsed.object_types = *std::move(pairs);
  return parsed;
}

}  // namespace hubspot_gateway
