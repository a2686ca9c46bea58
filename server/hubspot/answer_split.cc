#include "server/hubspot/answer_split.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/hubspot/batch_merge.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::google::protobuf::Value;
using IdSet = absl::flat_hash_set<std::string>;

constexpr char kWithheld[] =
    "HubSpot's message is withheld: it names a record of another call that shared this "
    "upstream request; this call's records are in the context";

// A record id as compared: decimal digits lose their leading zeros ("007" is
// "7"), anything else stays as it is.
std::string CanonicalId(absl::string_view id) {
  if (id.empty() || !absl::c_all_of(id, [](char c) { return absl::ascii_isdigit(c); })) {
    return std::string(id);
  }
  const size_t first = id.find_first_not_of('0');
  return first == absl::string_view::npos ? "0" : std::string(id.substr(first));
}

// A record id HubSpot wrote as a JSON number (exact up to 2^53).
std::optional<std::string> NumberId(double number) {
  if (!(number >= 0 && number < 18446744073709551616.0) || std::floor(number) != number) {
    return std::nullopt;
  }
  return absl::StrCat(static_cast<uint64_t>(number));
}

// Which side of a pair the values of a context key name.
enum class Side { kNone, kFrom, kTo, kEither };

Side SideOfKey(absl::string_view key) {
  auto prefixed = [key](absl::string_view prefix) {
    return absl::StartsWithIgnoreCase(key, prefix) &&
           (key.size() == prefix.size() || absl::ascii_isupper(key[prefix.size()]) ||
            key[prefix.size()] == '_');
  };
  if (prefixed("from")) return Side::kFrom;
  if (prefixed("to")) return Side::kTo;
  const std::string lower = absl::AsciiStrToLower(key);
  for (absl::string_view either : {"id", "ids", "objectid", "objectids", "recordid", "recordids"}) {
    if (lower == either) return Side::kEither;
  }
  return Side::kNone;
}

// A field of a result whose value is a record id.
bool IsIdField(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  return lower == "id" || lower == "toobjectid" || lower == "fromobjectid" || lower == "objectid";
}

// The records an error or a result names.
struct Named {
  IdSet from;
  IdSet to;
  IdSet either;

  bool empty() const { return from.empty() && to.empty() && either.empty(); }
};

// Adds to `ids` every record id in `value` (a value under a result's "from"
// or "to": `is_id` says whether a scalar here is an id).
void CollectIds(const Value& value, bool is_id, IdSet& ids) {
  switch (value.kind_case()) {
    case Value::kStringValue:
      if (is_id) ids.insert(CanonicalId(value.string_value()));
      break;
    case Value::kNumberValue:
      if (is_id) {
        if (std::optional<std::string> id = NumberId(value.number_value())) ids.insert(*id);
      }
      break;
    case Value::kListValue:
      for (const Value& item : value.list_value().values()) CollectIds(item, is_id, ids);
      break;
    case Value::kStructValue:
      for (const auto& [name, item] : value.struct_value().fields()) {
        CollectIds(item, is_id && IsIdField(name), ids);
      }
      break;
    default:
      break;
  }
}

Named NamedBy(const v1::StandardError& error) {
  Named named;
  if (!error.id().empty()) named.either.insert(CanonicalId(error.id()));
  for (const auto& [key, list] : error.context()) {
    const Side side = SideOfKey(key);
    if (side == Side::kNone) continue;
    IdSet& ids = side == Side::kFrom ? named.from : side == Side::kTo ? named.to : named.either;
    for (const std::string& value : list.values()) ids.insert(CanonicalId(value));
  }
  return named;
}

Named NamedBy(const Value& result) {
  Named named;
  if (result.kind_case() != Value::kStructValue) return named;
  const auto& fields = result.struct_value().fields();
  if (auto from = fields.find("from"); from != fields.end())
    CollectIds(from->second, true, named.from);
  if (auto to = fields.find("to"); to != fields.end()) CollectIds(to->second, true, named.to);
  if (named.empty()) {
    if (auto id = fields.find("id"); id != fields.end()) CollectIds(id->second, true, named.either);
  }
  return named;
}

// One input (slice) of a part, its ids canonical.
struct Input {
  std::string from;
  std::vector<std::string> to;
};

std::vector<Input> InputsOf(const Chunk& chunk) {
  std::vector<Input> inputs;
  inputs.reserve(chunk.size());
  for (const ArchiveSlice& slice : chunk) {
    Input input{CanonicalId(slice.from_id()), {}};
    slice.ForEachToId([&input](const std::string& to) { input.to.push_back(CanonicalId(to)); });
    inputs.push_back(std::move(input));
  }
  return inputs;
}

// Whether `input` is one of the pairs `named` is about: by the named from and
// to ids, or (when it names neither side) by an id on either side.
bool Matches(const Input& input, const Named& named) {
  auto any_to = [&input](const IdSet& ids) {
    return absl::c_any_of(input.to, [&ids](const std::string& to) { return ids.contains(to); });
  };
  if (named.from.empty() && named.to.empty()) {
    return named.either.contains(input.from) || any_to(named.either);
  }
  return (named.from.empty() || named.from.contains(input.from)) &&
         (named.to.empty() || any_to(named.to));
}

// The ids of the inputs that match `named`; empty when none does.
IdSet MatchedIds(const std::vector<Input>& inputs, const Named& named) {
  IdSet ids;
  if (named.empty()) return ids;
  for (const Input& input : inputs) {
    if (!Matches(input, named)) continue;
    ids.insert(input.from);
    ids.insert(input.to.begin(), input.to.end());
  }
  return ids;
}

// The ids a call may not see: those other calls of the request sent and it did not.
class Foreign {
 public:
  Foreign(const IdSet& own, const IdSet& everyone) : own_(own), everyone_(everyone) {}

  bool Is(absl::string_view id) const {
    const std::string canonical = CanonicalId(id);
    return everyone_.contains(canonical) && !own_.contains(canonical);
  }

  // Whether `text` holds a foreign id as a run of digits.
  bool InText(absl::string_view text) const {
    size_t i = 0;
    while (i < text.size()) {
      if (!absl::ascii_isdigit(text[i])) {
        ++i;
        continue;
      }
      size_t end = i;
      while (end < text.size() && absl::ascii_isdigit(text[end])) ++end;
      if (Is(text.substr(i, end - i))) return true;
      i = end;
    }
    return false;
  }

  bool InValue(const Value& value) const {
    switch (value.kind_case()) {
      case Value::kStringValue:
        return InText(value.string_value());
      case Value::kListValue:
        return absl::c_any_of(value.list_value().values(),
                              [this](const Value& item) { return InValue(item); });
      case Value::kStructValue:
        return absl::c_any_of(value.struct_value().fields(),
                              [this](const auto& field) { return InValue(field.second); });
      default:
        return false;
    }
  }

 private:
  const IdSet& own_;
  const IdSet& everyone_;
};

void EraseValues(v1::StringList& list, absl::FunctionRef<bool(const std::string&)> erase) {
  auto* values = list.mutable_values();
  values->erase(std::remove_if(values->begin(), values->end(),
                               [&erase](const std::string& value) { return erase(value); }),
                values->end());
}

// `error` as a part whose matching inputs hold `matched` receives it.
v1::StandardError ErrorFor(const v1::StandardError& error, const IdSet& matched,
                           const Foreign& foreign) {
  v1::StandardError narrowed = error;
  if (!narrowed.id().empty() && !matched.contains(CanonicalId(narrowed.id()))) {
    narrowed.clear_id();
  }
  for (auto& [key, list] : *narrowed.mutable_context()) {
    if (SideOfKey(key) != Side::kNone) {
      EraseValues(list,
                  [&matched](const std::string& v) { return !matched.contains(CanonicalId(v)); });
    } else {
      EraseValues(list, [&foreign](const std::string& v) { return foreign.Is(v); });
    }
  }
  if (foreign.InText(narrowed.message())) narrowed.set_message(kWithheld);
  if (foreign.InValue(narrowed.sub_category())) narrowed.clear_sub_category();
  for (v1::ErrorDetail& detail : *narrowed.mutable_errors()) {
    if (foreign.InText(detail.message())) detail.set_message(kWithheld);
    for (auto& [key, list] : *detail.mutable_context()) {
      EraseValues(list, [&foreign](const std::string& v) { return foreign.Is(v); });
    }
  }
  return narrowed;
}

// Drops from `value` (under a result's "from" or "to") every list element
// naming a record outside `keep`; false when `value` itself names one.
bool Prune(Value& value, bool is_id, const IdSet& keep) {
  switch (value.kind_case()) {
    case Value::kStringValue:
      return !is_id || keep.contains(CanonicalId(value.string_value()));
    case Value::kNumberValue: {
      if (!is_id) return true;
      const std::optional<std::string> id = NumberId(value.number_value());
      return id.has_value() && keep.contains(*id);
    }
    case Value::kListValue: {
      auto* items = value.mutable_list_value()->mutable_values();
      items->erase(
          std::remove_if(items->begin(), items->end(),
                         [is_id, &keep](Value& item) { return !Prune(item, is_id, keep); }),
          items->end());
      return true;
    }
    case Value::kStructValue:
      for (auto& [name, item] : *value.mutable_struct_value()->mutable_fields()) {
        if (!Prune(item, is_id && IsIdField(name), keep)) return false;
      }
      return true;
    default:
      return true;
  }
}

// `result` as a part whose matching inputs hold `matched` receives it.
std::optional<Value> ResultFor(const Value& result, const IdSet& matched) {
  Value narrowed = result;
  auto& fields = *narrowed.mutable_struct_value()->mutable_fields();
  for (const char* side : {"from", "to", "id"}) {
    auto field = fields.find(side);
    if (field != fields.end() && !Prune(field->second, true, matched)) return std::nullopt;
  }
  return narrowed;
}

// What a call gets for an error no input of the request matches, when the
// request carried several calls: its own inputs, to be sent again.
v1::StandardError Unattributed(const v1::StandardError& error, const Chunk& inputs) {
  v1::StandardError unattributed;
  unattributed.set_status(error.status().empty() ? "error" : error.status());
  unattributed.set_category(error.category());
  unattributed.set_message(
      "HubSpot reported an error naming no record of this call for an upstream request this "
      "call shared with other calls; its text is withheld (it may be about another call) and "
      "whether these inputs were applied is unknown: send them again");
  AddInputsContext(inputs, unattributed);
  return unattributed;
}

}  // namespace

std::vector<v1::BatchResult> SplitBatchResult(v1::BatchResult shared,
                                              absl::Span<const AnswerPart> parts) {
  std::vector<v1::BatchResult> split;
  if (parts.size() == 1) {
    split.push_back(std::move(shared));
    return split;
  }
  std::vector<std::vector<Input>> inputs;
  inputs.reserve(parts.size());
  // Per call: its ids and the inputs it sent (all its parts), and its first part.
  absl::flat_hash_map<const void*, IdSet> call_ids;
  absl::flat_hash_map<const void*, Chunk> call_inputs;
  std::vector<size_t> first_parts;
  IdSet everyone;
  for (size_t part = 0; part < parts.size(); ++part) {
    inputs.push_back(InputsOf(*parts[part].chunk));
    if (!call_ids.contains(parts[part].call)) first_parts.push_back(part);
    IdSet& ids = call_ids[parts[part].call];
    for (const Input& input : inputs.back()) {
      ids.insert(input.from);
      ids.insert(input.to.begin(), input.to.end());
    }
    everyone.insert(ids.begin(), ids.end());
    Chunk& sent = call_inputs[parts[part].call];
    sent.insert(sent.end(), parts[part].chunk->begin(), parts[part].chunk->end());
  }
  std::vector<Foreign> foreign;
  foreign.reserve(parts.size());
  for (const AnswerPart& part : parts) foreign.emplace_back(call_ids.at(part.call), everyone);
  const bool one_call = first_parts.size() == 1;

  v1::BatchResult common = shared;
  common.clear_errors();
  common.clear_results();
  common.clear_num_errors();
  split.assign(parts.size(), common);

  auto unattributed_error = [&](const v1::StandardError& error) {
    for (size_t part : first_parts) {
      *split[part].add_errors() =
          one_call ? error : Unattributed(error, call_inputs.at(parts[part].call));
    }
  };
  for (const v1::StandardError& error : shared.errors()) {
    const Named named = NamedBy(error);
    bool attributed = false;
    for (size_t part = 0; part < parts.size(); ++part) {
      const IdSet matched = MatchedIds(inputs[part], named);
      if (matched.empty()) continue;
      attributed = true;
      *split[part].add_errors() = ErrorFor(error, matched, foreign[part]);
    }
    if (!attributed) unattributed_error(error);
  }
  for (const Value& result : shared.results()) {
    const Named named = NamedBy(result);
    bool attributed = false;
    for (size_t part = 0; part < parts.size(); ++part) {
      const IdSet matched = MatchedIds(inputs[part], named);
      if (matched.empty()) continue;
      attributed = true;
      if (std::optional<Value> narrowed = ResultFor(result, matched)) {
        *split[part].add_results() = *std::move(narrowed);
      }
    }
    // Naming no record of the request, it says nothing of any call but a lone one.
    if (!attributed && one_call) *split[first_parts.front()].add_results() = result;
  }
  for (v1::BatchResult& result : split) result.set_num_errors(result.errors_size());
  // Errors HubSpot counted without listing them are about no known input.
  if (const int unlisted = shared.num_errors() - shared.errors_size(); unlisted > 0) {
    if (one_call) {
      split[first_parts.front()].set_num_errors(split[first_parts.front()].num_errors() + unlisted);
    } else {
      v1::StandardError counted;
      counted.set_status("error");
      unattributed_error(counted);
      for (size_t part : first_parts) split[part].set_num_errors(split[part].errors_size());
    }
  }
  return split;
}

}  // namespace hubspot_gateway
