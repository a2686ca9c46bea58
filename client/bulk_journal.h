// BulkJournal records which requests of one bulk job the gateway acknowledged
// (by their index in the job: pairs [k * pairs_per_message, ...) of the
// input) and the pairs each one failed, one line per request written as it
// arrives, so a rerun of the same job skips them even after the client was
// killed.
//
// A journal belongs to one job: its header holds the input's SHA-256 and the
// job's settings, and opening it for any other job is refused. Each record
// holds the SHA-256 of its request's pairs and a checksum of the line, so a
// damaged, cut or foreign line counts as "not done" (the request is sent
// again: archiving is idempotent) and never invents or drops a failed pair.
// The file is locked (flock) while open: a second client on it is refused.
// Not thread-safe: one run uses it from one thread.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_JOURNAL_H_
#define HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_JOURNAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "client/bulk_pairs.h"

namespace hubspot_gateway {

// What makes two runs the same job.
struct JobIdentity {
  // SHA-256 of the input's lines, or "stdin" for an input read once.
  std::string input_sha256;
  PairFormat format = PairFormat::kCsv;
  int pairs_per_message = 100;
  std::string from_object_type;
  std::string to_object_type;
};

class BulkJournal {
 public:
  // Opens (creating it if needed) the journal at `path` for `job`, and locks
  // it. FAILED_PRECONDITION, with a message saying what to do, when it was
  // written for another job, its header is damaged, another client holds it,
  // or it cannot be written.
  static absl::StatusOr<BulkJournal> Open(const std::string& path, const JobIdentity& job);

  BulkJournal(BulkJournal&& other) noexcept;
  BulkJournal& operator=(BulkJournal&&) = delete;
  ~BulkJournal();

  // The failed pairs of request `index`, whose pairs are `pairs`, when an
  // earlier run recorded it acknowledged; nullptr otherwise (also when the
  // record was for other pairs).
  const std::vector<IdPair>* Acknowledged(int64_t index, const std::vector<IdPair>& pairs) const;
  // Records read back whole (damaged ones are not counted).
  int64_t acknowledged_count() const { return static_cast<int64_t>(acknowledged_.size()); }
  // Lines that were not whole records: cut by a crash, damaged or foreign.
  int64_t damaged_count() const { return damaged_; }

  // Appends that request `index` (of `pairs`) is acknowledged with `failed`.
  absl::Status Record(int64_t index, const std::vector<IdPair>& pairs,
                      const std::vector<IdPair>& failed);

 private:
  struct Entry {
    std::string pairs_sha256;
    std::vector<IdPair> failed;
  };

  BulkJournal(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  absl::Status Append(const std::string& text);

  int fd_;
  std::string path_;
  absl::flat_hash_map<int64_t, Entry> acknowledged_;
  int64_t damaged_ = 0;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_JOURNAL_H_
