#include "server/hubspot/answer_split.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using IdSet = absl::flat_hash_set<absl::string_view>;

// The from and to ids a chunk sent.
IdSet IdsOf(const Chunk& chunk) {
  IdSet ids;
  for (const ArchiveSlice& slice : chunk) {
    ids.insert(slice.from_id());
    slice.ForEachToId([&ids](const std::string& to) { ids.insert(to); });
  }
  return ids;
}

// Every string in `value`, depth first.
void CollectStrings(const google::protobuf::Value& value, std::vector<absl::string_view>& out) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kStringValue:
      out.push_back(value.string_value());
      break;
    case google::protobuf::Value::kListValue:
      for (const auto& item : value.list_value().values()) CollectStrings(item, out);
      break;
    case google::protobuf::Value::kStructValue:
      for (const auto& [key, item] : value.struct_value().fields()) CollectStrings(item, out);
      break;
    default:
      break;
  }
}

std::vector<absl::string_view> NamedIds(const v1::StandardError& error) {
  std::vector<absl::string_view> named;
  if (!error.id().empty()) named.push_back(error.id());
  for (const auto& [key, list] : error.context()) {
    for (const std::string& value : list.values()) named.push_back(value);
  }
  return named;
}

// Which parts sent any of `named`; empty when none did.
std::vector<size_t> Owners(const std::vector<absl::string_view>& named,
                           const std::vector<IdSet>& ids) {
  std::vector<size_t> owners;
  for (size_t part = 0; part < ids.size(); ++part) {
    for (absl::string_view id : named) {
      if (ids[part].contains(id)) {
        owners.push_back(part);
        break;
      }
    }
  }
  return owners;
}

// `error` as `part` receives it: each context list that names records of the
// request keeps only the part's own.
v1::StandardError NarrowedTo(const v1::StandardError& error, size_t part,
                             const std::vector<IdSet>& ids) {
  v1::StandardError narrowed = error;
  for (auto& [key, list] : *narrowed.mutable_context()) {
    bool names_records = false;
    for (const std::string& value : list.values()) {
      for (const IdSet& set : ids) names_records = names_records || set.contains(value);
    }
    if (!names_records) continue;
    auto* values = list.mutable_values();
    values->erase(std::remove_if(values->begin(), values->end(),
                                 [&](const std::string& v) { return !ids[part].contains(v); }),
                  values->end());
  }
  return narrowed;
}

}  // namespace

std::vector<v1::BatchResult> SplitBatchResult(v1::BatchResult shared,
                                              absl::Span<const Chunk* const> parts) {
  std::vector<v1::BatchResult> split;
  if (parts.size() == 1) {
    split.push_back(std::move(shared));
    return split;
  }
  std::vector<IdSet> ids;
  ids.reserve(parts.size());
  for (const Chunk* part : parts) ids.push_back(IdsOf(*part));

  v1::BatchResult common = shared;
  common.clear_errors();
  common.clear_results();
  common.clear_num_errors();
  split.assign(parts.size(), common);

  for (const v1::StandardError& error : shared.errors()) {
    const std::vector<size_t> owners = Owners(NamedIds(error), ids);
    if (owners.empty()) {
      for (v1::BatchResult& result : split) *result.add_errors() = error;
      continue;
    }
    for (size_t part : owners) *split[part].add_errors() = NarrowedTo(error, part, ids);
  }
  for (const google::protobuf::Value& value : shared.results()) {
    std::vector<absl::string_view> named;
    CollectStrings(value, named);
    const std::vector<size_t> owners = Owners(named, ids);
    if (owners.empty()) {
      for (v1::BatchResult& result : split) *result.add_results() = value;
      continue;
    }
    for (size_t part : owners) *split[part].add_results() = value;
  }
  for (v1::BatchResult& result : split) result.set_num_errors(result.errors_size());
  return split;
}

}  // namespace hubspot_gateway
