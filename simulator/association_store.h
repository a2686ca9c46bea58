// AssociationStore holds the simulated CRM associations, each keyed by
// (from object type, to object type, from id, to id) and carrying its labels
// (category, type id). Thread-safe: records are
// spread over shards, each behind its own absl::Mutex, so concurrent requests
// about different records rarely contend.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_ASSOCIATION_STORE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_ASSOCIATION_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "simulator/identifiers.h"

namespace hubspot_simulator {

// Object types and ids must be valid (see identifiers.h); the store files them
// under their canonical forms, so "0-1"/"contacts" and "007"/"7" are the same.
class AssociationStore {
 public:
  struct Pair {
    std::string from_id;
    std::string to_id;
    // In (category, type id) order.
    std::vector<AssociationLabel> labels;
  };

  explicit AssociationStore(int shard_count = 64);

  AssociationStore(const AssociationStore&) = delete;
  AssociationStore& operator=(const AssociationStore&) = delete;

  // Associates `from_id` with each of `to_ids` (a new association has no
  // labels) and gives each association `labels`; returns how many were new.
  int64_t Add(absl::string_view from_type, absl::string_view to_type, absl::string_view from_id,
              absl::Span<const std::string> to_ids, absl::Span<const AssociationLabel> labels = {});

  // Removes the association of `from_id` with each of `to_ids`, labels and
  // all; returns how many existed. Absent associations are ignored, so
  // removal is idempotent.
  int64_t Remove(absl::string_view from_type, absl::string_view to_type, absl::string_view from_id,
                 absl::Span<const std::string> to_ids);

  // Removes `labels` from the association of `from_id` with `to_id`, which
  // stays; returns how many of them it had, or std::nullopt when there is
  // no such association.
  std::optional<int64_t> RemoveLabels(absl::string_view from_type, absl::string_view to_type,
                                      absl::string_view from_id, absl::string_view to_id,
                                      absl::Span<const AssociationLabel> labels);

  // The associations of `from_id` (canonical ids), in numeric order of to id.
  std::vector<Pair> Read(absl::string_view from_type, absl::string_view to_type,
                         absl::string_view from_id) const;

  // Every association between the two types, sorted numerically by from id,
  // then to id.
  std::vector<Pair> List(absl::string_view from_type, absl::string_view to_type) const;

  void Clear();

 private:
  struct RecordKey {
    std::string from_type;
    std::string to_type;
    std::string from_id;

    bool operator==(const RecordKey& other) const {
      return from_type == other.from_type && to_type == other.to_type && from_id == other.from_id;
    }
    template <typename H>
    friend H AbslHashValue(H h, const RecordKey& key) {
      return H::combine(std::move(h), key.from_type, key.to_type, key.from_id);
    }
  };

  struct NumericIdLess {
    bool operator()(const std::string& a, const std::string& b) const;
  };
  // The associations of one record: each to id with its labels.
  using Targets = absl::btree_map<std::string, absl::btree_set<AssociationLabel>, NumericIdLess>;

  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<RecordKey, Targets> records ABSL_GUARDED_BY(mu);
  };

  static RecordKey MakeKey(absl::string_view from_type, absl::string_view to_type,
                           absl::string_view from_id);
  Shard& ShardFor(const RecordKey& key) const;

  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_ASSOCIATION_STORE_H_
