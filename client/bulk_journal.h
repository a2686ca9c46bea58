// BulkJournal records which requests of a bulk job the gateway acknowledged
// (by their index in the job: pairs [k * pairs_per_message, ...) of the
// input) and the pairs each one failed, one flushed line per request, so a
// rerun with the same input skips them even after the client was killed.
// Not thread-safe: one run uses it from one thread.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_JOURNAL_H_
#define HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_JOURNAL_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "client/bulk_pairs.h"

namespace hubspot_gateway {

class BulkJournal {
 public:
  // Opens (creating it if needed) the journal at `path` for a job sent
  // `pairs_per_message` pairs per request; FAILED_PRECONDITION when it was
  // written for another split.
  static absl::StatusOr<BulkJournal> Open(const std::string& path, int pairs_per_message);

  BulkJournal(BulkJournal&& other) noexcept;
  BulkJournal& operator=(BulkJournal&&) = delete;
  ~BulkJournal();

  // The failed pairs of request `index` when an earlier run recorded it
  // acknowledged; nullptr otherwise.
  const std::vector<IdPair>* Acknowledged(int64_t index) const;
  int64_t acknowledged_count() const { return static_cast<int64_t>(acknowledged_.size()); }

  // Appends that request `index` is acknowledged with `failed` pairs, flushed.
  absl::Status Record(int64_t index, const std::vector<IdPair>& failed);

 private:
  BulkJournal(std::FILE* file, absl::flat_hash_map<int64_t, std::vector<IdPair>> acknowledged)
      : file_(file), acknowledged_(std::move(acknowledged)) {}

  std::FILE* file_;
  absl::flat_hash_map<int64_t, std::vector<IdPair>> acknowledged_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_JOURNAL_H_
