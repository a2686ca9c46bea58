#include "client/bulk_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/common/digest.h"

namespace hubspot_gateway {
namespace {

// Lines: the header, then per acknowledged request
//   "<index> <SHA-256 of its pairs> [<from>,<to> ...] <checksum>"
// where the checksum is the SHA-256 of everything before " <checksum>".
constexpr char kHeaderPrefix[] = "# sample_client bulk journal v2:";

std::string Header(const JobIdentity& job) {
  return absl::StrCat(kHeaderPrefix, " input_sha256=", job.input_sha256,
                      " format=", job.format == PairFormat::kJsonLines ? "jsonl" : "csv",
                      " pairs_per_message=", job.pairs_per_message,
                      " from_type=", job.from_object_type, " to_type=", job.to_object_type);
}

std::string PairsSha256(const std::vector<IdPair>& pairs) {
  Sha256 digest;
  for (const IdPair& pair : pairs) digest.Update(absl::StrCat(pair.from, ",", pair.to, "\n"));
  return digest.HexDigest();
}

absl::Status Failed(absl::string_view path, absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat("--journal ", path, ": ", what));
}

// Reads the whole file at `fd` from its start.
absl::StatusOr<std::string> ReadAll(int fd) {
  std::string contents;
  char buffer[65536];
  for (off_t offset = 0;;) {
    const ssize_t n = pread(fd, buffer, sizeof(buffer), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError(std::strerror(errno));
    if (n == 0) return contents;
    contents.append(buffer, n);
    offset += n;
  }
}

}  // namespace

absl::StatusOr<BulkJournal> BulkJournal::Open(const std::string& path, const JobIdentity& job) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Failed(path, absl::StrCat("cannot open: ", std::strerror(errno)));
  BulkJournal journal(fd, path);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    return Failed(path, errno == EWOULDBLOCK
                            ? "another client is using this journal (a journal belongs to one "
                              "run at a time)"
                            : absl::StrCat("cannot lock: ", std::strerror(errno)));
  }
  absl::StatusOr<std::string> contents = ReadAll(fd);
  if (!contents.ok()) return Failed(path, contents.status().message());
  const std::string header = Header(job);
  if (contents->empty()) {
    if (absl::Status written = journal.Append(header + "\n"); !written.ok()) return written;
    return journal;
  }
  std::vector<absl::string_view> lines = absl::StrSplit(*contents, '\n');
  if (lines[0] != header) {
    return Failed(path,
                  absl::StrCat("it was written for another job or is damaged: its header is \"",
                               lines[0].substr(0, 300), "\", this job's is \"", header,
                               "\". Rerun with a journal only the input and settings it was "
                               "written for; give any other input a new journal"));
  }
  // The last element is what follows the final newline: empty, or a line a
  // crash cut short.
  const bool cut_short = !lines.back().empty();
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(lines[i], ' ');
    int64_t index = 0;
    const size_t checksum_at = lines[i].rfind(' ');
    if (i + 1 == lines.size() || fields.size() < 3 || checksum_at == absl::string_view::npos ||
        Sha256Hex(lines[i].substr(0, checksum_at)) != fields.back() ||
        !absl::SimpleAtoi(fields[0], &index) || index < 0) {
      ++journal.damaged_;
      continue;
    }
    Entry entry;
    entry.pairs_sha256 = std::string(fields[1]);
    bool whole = true;
    for (size_t f = 2; f + 1 < fields.size(); ++f) {
      std::vector<std::string> sides = absl::StrSplit(fields[f], ',');
      whole &= sides.size() == 2;
      if (whole) entry.failed.push_back({sides[0], sides[1]});
    }
    if (!whole) {
      ++journal.damaged_;
      continue;
    }
    journal.acknowledged_[index] = std::move(entry);
  }
  if (cut_short) {
    // The next record starts on a line of its own.
    if (absl::Status written = journal.Append("\n"); !written.ok()) return written;
  }
  return journal;
}

BulkJournal::BulkJournal(BulkJournal&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      acknowledged_(std::move(other.acknowledged_)),
      damaged_(other.damaged_) {}

BulkJournal::~BulkJournal() {
  if (fd_ >= 0) close(fd_);  // Releases the lock.
}

const std::vector<IdPair>* BulkJournal::Acknowledged(int64_t index,
                                                     const std::vector<IdPair>& pairs) const {
  auto it = acknowledged_.find(index);
  if (it == acknowledged_.end() || it->second.pairs_sha256 != PairsSha256(pairs)) return nullptr;
  absl::flat_hash_set<std::string> sent;
  for (const IdPair& pair : pairs) sent.insert(absl::StrCat(pair.from, ",", pair.to));
  const bool failed_were_sent = absl::c_all_of(it->second.failed, [&](const IdPair& pair) {
    return sent.contains(absl::StrCat(pair.from, ",", pair.to));
  });
  return failed_were_sent ? &it->second.failed : nullptr;
}

absl::Status BulkJournal::Record(int64_t index, const std::vector<IdPair>& pairs,
                                 const std::vector<IdPair>& failed) {
  std::string line = absl::StrCat(index, " ", PairsSha256(pairs));
  for (const IdPair& pair : failed) absl::StrAppend(&line, " ", pair.from, ",", pair.to);
  absl::StrAppend(&line, " ", Sha256Hex(line), "\n");
  return Append(line);
}

absl::Status BulkJournal::Append(const std::string& text) {
  // One write per record: O_APPEND keeps it whole at the end.
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Failed(path_, absl::StrCat("cannot write: ", std::strerror(errno)));
    }
    done += n;
  }
  return absl::OkStatus();
}

}  // namespace hubspot_gateway
