// The sample client's bulk file format: one (from, to) pair per line, as CSV
// ("101,201"; a "from,to" header, blank lines and "#" comments are skipped)
// or JSON Lines ({"from":"101","to":"201"}). A UTF-8 byte order mark
// starting a line (Excel's "CSV UTF-8" writes one) is skipped. Pure
// functions: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_PAIRS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_PAIRS_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hubspot_gateway {

enum class PairFormat { kCsv, kJsonLines };

struct IdPair {
  std::string from;
  std::string to;
};

// The format a file name implies: .jsonl/.ndjson are JSON Lines, else CSV.
PairFormat FormatForPath(absl::string_view path);

// The pair on `line`; std::nullopt for a line to skip; INVALID_ARGUMENT for
// a malformed one: not valid UTF-8, an id that is not 1 to 20 digits, or a
// JSON object naming a key twice.
absl::StatusOr<std::optional<IdPair>> ParsePairLine(absl::string_view line, PairFormat format);

// `pair` as a line of `format` (no newline), as ParsePairLine reads it back.
std::string FormatPairLine(const IdPair& pair, PairFormat format);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_PAIRS_H_
