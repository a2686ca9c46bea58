#include "client/bulk_pairs.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace hubspot_gateway {
namespace {

absl::Status Malformed(absl::string_view line, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("expected ", expected, ", got \"", line.substr(0, 80), "\""));
}

// An id from JSON: a string, or a whole number written as one.
std::optional<std::string> JsonId(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
  return std::nullopt;
}

}  // namespace

PairFormat FormatForPath(absl::string_view path) {
  return absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".ndjson") ? PairFormat::kJsonLines
                                                                           : PairFormat::kCsv;
}

absl::StatusOr<std::optional<IdPair>> ParsePairLine(absl::string_view line, PairFormat format) {
  line = absl::StripAsciiWhitespace(line);
  if (line.empty() || absl::StartsWith(line, "#")) return std::optional<IdPair>();
  if (format == PairFormat::kJsonLines) {
    const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object() || !json.contains("from") ||
        !json.contains("to")) {
      return Malformed(line, R"({"from":"<id>","to":"<id>"})");
    }
    std::optional<std::string> from = JsonId(json["from"]);
    std::optional<std::string> to = JsonId(json["to"]);
    if (!from.has_value() || !to.has_value()) {
      return Malformed(line, "string or whole-number ids");
    }
    return std::optional<IdPair>(IdPair{*std::move(from), *std::move(to)});
  }
  std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
  if (fields.size() != 2) return Malformed(line, "from,to");
  const absl::string_view from = absl::StripAsciiWhitespace(fields[0]);
  const absl::string_view to = absl::StripAsciiWhitespace(fields[1]);
  if (from == "from" && to == "to") return std::optional<IdPair>();  // The header.
  if (from.empty() || to.empty()) return Malformed(line, "from,to");
  return std::optional<IdPair>(IdPair{std::string(from), std::string(to)});
}

std::string FormatPairLine(const IdPair& pair, PairFormat format) {
  if (format == PairFormat::kJsonLines) {
    return nlohmann::json{{"from", pair.from}, {"to", pair.to}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return absl::StrCat(pair.from, ",", pair.to);
}

}  // namespace hubspot_gateway
