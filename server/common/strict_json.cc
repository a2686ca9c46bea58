#include "server/common/strict_json.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace hubspot_gateway {

absl::StatusOr<nlohmann::json> ParseStrictJson(absl::string_view text) {
  using json = nlohmann::json;
  // The keys seen so far in each object being parsed, innermost last.
  std::vector<absl::flat_hash_set<std::string>> keys;
  std::optional<std::string> duplicate;
  json parsed = json::parse(
      text.begin(), text.end(),
      [&](int /*depth*/, json::parse_event_t event, json& value) {
        switch (event) {
          case json::parse_event_t::object_start:
            keys.emplace_back();
            break;
          case json::parse_event_t::object_end:
            if (!keys.empty()) keys.pop_back();
            break;
          case json::parse_event_t::key:
            if (!keys.empty() && !keys.back().insert(value.get<std::string>()).second &&
                !duplicate.has_value()) {
              duplicate = value.get<std::string>();
            }
            break;
          default:
            break;
        }
        return true;
      },
      /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  if (duplicate.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the key \"", absl::CHexEscape(duplicate->substr(0, 64)), "\" appears twice in an object"));
  }
  return parsed;
}

}  // namespace hubspot_gateway
