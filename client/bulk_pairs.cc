#include "client/bulk_pairs.h"

#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "server/common/strict_json.h"

namespace hubspot_gateway {
namespace {

absl::Status Malformed(absl::string_view line, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("expected ", expected, ", got \"", absl::CHexEscape(line.substr(0, 80)), "\""));
}

// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or values
// past U+10FFFF), as protobuf requires of a string field.
bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = text[i];
    int length = 0;
    uint32_t code = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (int k = 1; k < length; ++k) {
      const unsigned char next = text[i + k];
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if ((length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) ||
        (length == 4 && (code < 0x10000 || code > 0x10FFFF))) {
      return false;
    }
    i += length;
  }
  return true;
}

// 1 to 20 decimal digits, as the gateway accepts a record id.
bool IsRecordId(absl::string_view id) {
  return !id.empty() && id.size() <= 20 && absl::c_all_of(id, absl::ascii_isdigit);
}

absl::StatusOr<std::optional<IdPair>> Checked(absl::string_view line, IdPair pair) {
  if (!IsRecordId(pair.from) || !IsRecordId(pair.to)) {
    return Malformed(line, "ids of 1 to 20 digits");
  }
  return std::optional<IdPair>(std::move(pair));
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
  if (!IsValidUtf8(line)) return Malformed(line, "valid UTF-8");
  absl::ConsumePrefix(&line, "\xEF\xBB\xBF");  // A byte order mark.
  line = absl::StripAsciiWhitespace(line);
  if (line.empty() || absl::StartsWith(line, "#")) return std::optional<IdPair>();
  if (format == PairFormat::kJsonLines) {
    const absl::StatusOr<nlohmann::json> json = ParseStrictJson(line);
    if (!json.ok()) {
      return Malformed(
          line, absl::StrCat(R"({"from":"<id>","to":"<id>"} ()", json.status().message(), ")"));
    }
    if (!json->is_object() || !json->contains("from") || !json->contains("to")) {
      return Malformed(line, R"({"from":"<id>","to":"<id>"})");
    }
    std::optional<std::string> from = JsonId((*json)["from"]);
    std::optional<std::string> to = JsonId((*json)["to"]);
    if (!from.has_value() || !to.has_value()) {
      return Malformed(line, "string or whole-number ids");
    }
    return Checked(line, IdPair{*std::move(from), *std::move(to)});
  }
  std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
  if (fields.size() != 2) return Malformed(line, "from,to");
  const absl::string_view from = absl::StripAsciiWhitespace(fields[0]);
  const absl::string_view to = absl::StripAsciiWhitespace(fields[1]);
  if (from == "from" && to == "to") return std::optional<IdPair>();  // The header.
  if (from.empty() || to.empty()) return Malformed(line, "from,to");
  return Checked(line, IdPair{std::string(from), std::string(to)});
}

std::string FormatPairLine(const IdPair& pair, PairFormat format) {
  if (format == PairFormat::kJsonLines) {
    return nlohmann::json{{"from", pair.from}, {"to", pair.to}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return absl::StrCat(pair.from, ",", pair.to);
}

}  // namespace hubspot_gateway
