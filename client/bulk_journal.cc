#include "client/bulk_journal.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hubspot_gateway {
namespace {

// Lines: the header, then "<index> [<from>,<to> ...] ." per acknowledged
// request. The final " ." tells a whole line from one cut by a crash.
constexpr char kHeaderPrefix[] = "# sample_client bulk journal: pairs_per_message=";
constexpr char kLineEnd[] = " .";

}  // namespace

absl::StatusOr<BulkJournal> BulkJournal::Open(const std::string& path, int pairs_per_message) {
  const std::string header = absl::StrCat(kHeaderPrefix, pairs_per_message);
  absl::flat_hash_map<int64_t, std::vector<IdPair>> acknowledged;
  bool has_header = false;
  bool cut_short = false;
  {
    std::ifstream in(path);
    std::string line;
    if (std::getline(in, line)) {
      if (line != header) {
        return absl::FailedPreconditionError(
            absl::StrCat("--journal ", path, " is not a journal of this job (its first line is \"",
                         line.substr(0, 80), "\", expected \"", header, "\")"));
      }
      has_header = true;
    }
    while (std::getline(in, line)) {
      // A last line without its newline: the next record starts on a line of its own.
      cut_short = in.eof();
      absl::string_view rest = line;
      if (!absl::ConsumeSuffix(&rest, kLineEnd)) continue;  // Cut short by a crash.
      std::vector<absl::string_view> fields = absl::StrSplit(rest, ' ', absl::SkipEmpty());
      int64_t index = 0;
      if (fields.empty() || !absl::SimpleAtoi(fields[0], &index)) continue;
      std::vector<IdPair> failed;
      for (size_t i = 1; i < fields.size(); ++i) {
        std::pair<std::string, std::string> sides = absl::StrSplit(fields[i], ',');
        failed.push_back({sides.first, sides.second});
      }
      acknowledged[index] = std::move(failed);
    }
  }
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write --journal ", path, ": ", std::strerror(errno)));
  }
  BulkJournal journal(file, std::move(acknowledged));
  if (!has_header) std::fprintf(file, "%s\n", header.c_str());
  if (cut_short) std::fputc('\n', file);
  std::fflush(file);
  return journal;
}

BulkJournal::BulkJournal(BulkJournal&& other) noexcept
    : file_(std::exchange(other.file_, nullptr)), acknowledged_(std::move(other.acknowledged_)) {}

BulkJournal::~BulkJournal() {
  if (file_ != nullptr) std::fclose(file_);
}

const std::vector<IdPair>* BulkJournal::Acknowledged(int64_t index) const {
  auto it = acknowledged_.find(index);
  return it == acknowledged_.end() ? nullptr : &it->second;
}

absl::Status BulkJournal::Record(int64_t index, const std::vector<IdPair>& failed) {
  std::string line = absl::StrCat(index);
  for (const IdPair& pair : failed) absl::StrAppend(&line, " ", pair.from, ",", pair.to);
  absl::StrAppend(&line, kLineEnd, "\n");
  if (std::fputs(line.c_str(), file_) < 0 || std::fflush(file_) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot write the journal: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace hubspot_gateway
