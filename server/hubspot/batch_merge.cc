#include "server/hubspot/batch_merge.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "server/hubspot/upstream_error_status.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::google::protobuf::Timestamp;

enum class Keep { kEarliest, kLatest };

// Keeps in `merged` the earliest (or latest) of its and `chunk`'s timestamp
// field `name`; an unset field never wins.
void MergeTime(const v1::BatchResult& chunk, const char* name, Keep keep,
               v1::BatchResult& merged) {
  const auto* field = v1::BatchResult::descriptor()->FindFieldByName(name);
  const auto* reflection = v1::BatchResult::GetReflection();
  if (!reflection->HasField(chunk, field)) return;
  const auto& candidate = static_cast<const Timestamp&>(reflection->GetMessage(chunk, field));
  if (reflection->HasField(merged, field)) {
    const auto& kept = static_cast<const Timestamp&>(reflection->GetMessage(merged, field));
    if (keep == Keep::kEarliest ? !(candidate < kept) : !(kept < candidate)) return;
  }
  reflection->MutableMessage(&merged, field)->CopyFrom(candidate);
}

void AddContext(v1::StandardError& error, const std::string& key, std::string value) {
  if (!value.empty()) (*error.mutable_context())[key].add_values(std::move(value));
}

}  // namespace

void BatchMerger::AddSucceeded(v1::BatchResult result) {
  if (succeeded_ == 0 && merged_.errors().empty()) {
    // The first outcome: nothing to merge with (and most calls have one chunk).
    merged_ = std::move(result);
    succeeded_ = 1;
    return;
  }
  if (succeeded_++ == 0 || merged_.status() == v1::BatchResult::COMPLETE) {
    merged_.set_status(result.status());
  }
  MergeTime(result, "requested_at", Keep::kEarliest, merged_);
  MergeTime(result, "started_at", Keep::kEarliest, merged_);
  MergeTime(result, "completed_at", Keep::kLatest, merged_);
  for (auto& value : *result.mutable_results()) *merged_.add_results() = std::move(value);
  for (auto& error : *result.mutable_errors()) *merged_.add_errors() = std::move(error);
  merged_.set_num_errors(merged_.num_errors() + result.num_errors());
  merged_.mutable_links()->insert(result.links().begin(), result.links().end());
}

void BatchMerger::AddFailed(const Chunk& chunk, const absl::Status& failure) {
  if (first_failure_.ok()) first_failure_ = failure;
  *merged_.add_errors() = ChunkFailureError(chunk, failure);
  merged_.set_num_errors(merged_.num_errors() + 1);
}

v1::StandardError ChunkFailureError(const Chunk& chunk, const absl::Status& failure) {
  v1::StandardError error;
  error.set_status("error");
  error.set_message(std::string(failure.message()));
  const auto upstream = GetUpstreamError(failure);
  error.set_category(upstream.has_value() && !upstream->category().empty()
                         ? upstream->category()
                         : absl::StatusCodeToString(failure.code()));

  absl::flat_hash_set<std::string> from_ids;
  auto& context = *error.mutable_context();
  for (const ArchiveSlice& slice : chunk) {
    const std::string& from = slice.input->from_object().id();
    if (from_ids.insert(from).second) context["fromIds"].add_values(from);
    std::string input = absl::StrCat(from, ":");
    for (int i = slice.to_begin; i < slice.to_end; ++i) {
      absl::StrAppend(&input, i == slice.to_begin ? "" : ",", slice.input->to_objects(i).id());
    }
    context["inputs"].add_values(std::move(input));
  }
  AddContext(error, "grpcCode", absl::StatusCodeToString(failure.code()));
  if (upstream.has_value()) {
    AddContext(error, "httpStatus",
               upstream->http_status() == 0 ? "" : absl::StrCat(upstream->http_status()));
    AddContext(error, "correlationId", upstream->correlation_id());
    AddContext(error, "policyName", upstream->policy_name());
    AddContext(error, "attempts",
               upstream->attempts() == 0 ? "" : absl::StrCat(upstream->attempts()));
  }
  return error;
}

int FailedInputs(const v1::ArchiveAssociationsRequest& request,
                 const absl::StatusOr<v1::BatchResult>& result) {
  if (!result.ok()) return request.inputs_size();
  absl::flat_hash_set<absl::string_view> failed;
  for (const v1::StandardError& error : result->errors()) {
    auto ids = error.context().find("fromIds");
    if (ids == error.context().end()) continue;
    for (const std::string& id : ids->second.values()) failed.insert(id);
  }
  int count = 0;
  for (const v1::ArchiveInput& input : request.inputs()) {
    count += failed.contains(input.from_object().id());
  }
  return count;
}

absl::StatusOr<v1::BatchResult> BatchMerger::Finish() && {
  if (succeeded_ == 0) return first_failure_;
  return std::move(merged_);
}

}  // namespace hubspot_gateway
