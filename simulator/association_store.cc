#include "simulator/association_store.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "simulator/identifiers.h"

namespace hubspot_simulator {

bool AssociationStore::NumericIdLess::operator()(const std::string& a, const std::string& b) const {
  return RecordIdLess(a, b);
}

AssociationStore::AssociationStore(int shard_count) {
  shards_.reserve(shard_count);
  for (int i = 0; i < shard_count; ++i) {
    shards_.push_back(std::make_unique<Shard>());
  }
}

AssociationStore::RecordKey AssociationStore::MakeKey(absl::string_view from_type,
                                                      absl::string_view to_type,
                                                      absl::string_view from_id) {
  return RecordKey{CanonicalObjectType(from_type), CanonicalObjectType(to_type),
                   CanonicalRecordId(from_id)};
}

AssociationStore::Shard& AssociationStore::ShardFor(const RecordKey& key) const {
  // std::hash rather than absl::Hash: the shard's own map hashes with
  // absl::Hash, whose low bits would otherwise be the same for a whole shard.
  return *shards_[std::hash<std::string>{}(key.from_id) % shards_.size()];
}

int64_t AssociationStore::Add(absl::string_view from_type, absl::string_view to_type,
                              absl::string_view from_id, absl::Span<const std::string> to_ids,
                              absl::Span<const AssociationLabel> labels) {
  if (to_ids.empty()) return 0;
  RecordKey key = MakeKey(from_type, to_type, from_id);
  Shard& shard = ShardFor(key);
  int64_t added = 0;
  absl::MutexLock lock(&shard.mu);
  Targets& targets = shard.records[std::move(key)];
  for (const std::string& to_id : to_ids) {
    auto [it, inserted] = targets.try_emplace(CanonicalRecordId(to_id));
    added += inserted ? 1 : 0;
    it->second.insert(labels.begin(), labels.end());
  }
  return added;
}

int64_t AssociationStore::Remove(absl::string_view from_type, absl::string_view to_type,
                                 absl::string_view from_id, absl::Span<const std::string> to_ids) {
  const RecordKey key = MakeKey(from_type, to_type, from_id);
  Shard& shard = ShardFor(key);
  int64_t removed = 0;
  absl::MutexLock lock(&shard.mu);
  auto it = shard.records.find(key);
  if (it == shard.records.end()) return 0;
  for (const std::string& to_id : to_ids) {
    removed += static_cast<int64_t>(it->second.erase(CanonicalRecordId(to_id)));
  }
  if (it->second.empty()) shard.records.erase(it);
  return removed;
}

std::optional<int64_t> AssociationStore::RemoveLabels(absl::string_view from_type,
                                                      absl::string_view to_type,
                                                      absl::string_view from_id,
                                                      absl::string_view to_id,
                                                      absl::Span<const AssociationLabel> labels) {
  const RecordKey key = MakeKey(from_type, to_type, from_id);
  Shard& shard = ShardFor(key);
  absl::MutexLock lock(&shard.mu);
  auto record = shard.records.find(key);
  if (record == shard.records.end()) return std::nullopt;
  auto target = record->second.find(CanonicalRecordId(to_id));
  if (target == record->second.end()) return std::nullopt;
  int64_t removed = 0;
  for (const AssociationLabel& label : labels) {
    removed += static_cast<int64_t>(target->second.erase(label));
  }
  return removed;
}

std::vector<AssociationStore::Pair> AssociationStore::Read(absl::string_view from_type,
                                                           absl::string_view to_type,
                                                           absl::string_view from_id) const {
  const RecordKey key = MakeKey(from_type, to_type, from_id);
  const Shard& shard = ShardFor(key);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.records.find(key);
  if (it == shard.records.end()) return {};
  std::vector<Pair> pairs;
  pairs.reserve(it->second.size());
  for (const auto& [to_id, labels] : it->second) {
    pairs.push_back(Pair{key.from_id, to_id, {labels.begin(), labels.end()}});
  }
  return pairs;
}

std::vector<AssociationStore::Pair> AssociationStore::List(absl::string_view from_type,
                                                           absl::string_view to_type) const {
  const std::string canonical_from_type = CanonicalObjectType(from_type);
  const std::string canonical_to_type = CanonicalObjectType(to_type);
  std::vector<Pair> pairs;
  for (const auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    for (const auto& [key, targets] : shard->records) {
      if (key.from_type != canonical_from_type || key.to_type != canonical_to_type) {
        continue;
      }
      for (const auto& [to_id, labels] : targets) {
        pairs.push_back(Pair{key.from_id, to_id, {labels.begin(), labels.end()}});
      }
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    if (a.from_id != b.from_id) return RecordIdLess(a.from_id, b.from_id);
    return RecordIdLess(a.to_id, b.to_id);
  });
  return pairs;
}

void AssociationStore::Clear() {
  for (const auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    shard->records.clear();
  }
}

}  // namespace hubspot_simulator
