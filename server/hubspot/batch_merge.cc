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

// A Timestamp field of BatchResult, named by its generated accessors.
struct TimeField {
  bool (v1::BatchResult::*has)() const;
  const Timestamp& (v1::BatchResult::*get)() const;
  Timestamp* (v1::BatchResult::*mutable_get)();
};

constexpr TimeField kRequestedAt = {&v1::BatchResult::has_requested_at,
                                    &v1::BatchResult::requested_at,
                                    &v1::BatchResult::mutable_requested_at};
constexpr TimeField kStartedAt = {&v1::BatchResult::has_started_at, &v1::BatchResult::started_at,
                                  &v1::BatchResult::mutable_started_at};
constexpr TimeField kCompletedAt = {&v1::BatchResult::has_completed_at,
                                    &v1::BatchResult::completed_at,
                                    &v1::BatchResult::mutable_completed_at};

// Keeps in `merged` the earliest (or latest) of its and `chunk`'s `field`; an
// unset field never wins.
void MergeTime(const v1::BatchResult& chunk, const TimeField& field, Keep keep,
               v1::BatchResult& merged) {
  if (!(chunk.*field.has)()) return;
  const Timestamp& candidate = (chunk.*field.get)();
  if ((merged.*field.has)()) {
    const Timestamp& kept = (merged.*field.get)();
    if (keep == Keep::kEarliest ? !(candidate < kept) : !(kept < candidate)) return;
  }
  *(merged.*field.mutable_get)() = candidate;
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
  MergeTime(result, kRequestedAt, Keep::kEarliest, merged_);
  MergeTime(result, kStartedAt, Keep::kEarliest, merged_);
  MergeTime(result, kCompletedAt, Keep::kLatest, merged_);
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

void AddInputsContext(const Chunk& chunk, v1::StandardError& error) {
  absl::flat_hash_set<std::string> from_ids;
  auto& context = *error.mutable_context();
  for (const ArchiveSlice& slice : chunk) {
    const std::string& from = slice.from_id();
    if (from_ids.insert(from).second) context["fromIds"].add_values(from);
    context["inputs"].add_values(slice.Describe());
  }
}

v1::StandardError ChunkFailureError(const Chunk& chunk, const absl::Status& failure) {
  v1::StandardError error;
  error.set_status("error");
  error.set_message(std::string(failure.message()));
  const auto upstream = GetUpstreamError(failure);
  error.set_category(upstream.has_value() && !upstream->category().empty()
                         ? upstream->category()
                         : absl::StatusCodeToString(failure.code()));

  AddInputsContext(chunk, error);
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

namespace {

template <typename Request>
int CountFailedInputs(const Request& request, const absl::StatusOr<v1::BatchResult>& result) {
  if (!result.ok()) return request.inputs_size();
  absl::flat_hash_set<absl::string_view> failed;
  for (const v1::StandardError& error : result->errors()) {
    auto ids = error.context().find("fromIds");
    if (ids == error.context().end()) continue;
    for (const std::string& id : ids->second.values()) failed.insert(id);
  }
  int count = 0;
  for (const auto& input : request.inputs()) count += failed.contains(input.from_object().id());
  return count;
}

}  // namespace

int FailedInputs(const v1::ArchiveAssociationsRequest& request,
                 const absl::StatusOr<v1::BatchResult>& result) {
  return CountFailedInputs(request, result);
}

int FailedInputs(const v1::ArchiveAssociationLabelsRequest& request,
                 const absl::StatusOr<v1::BatchResult>& result) {
  return CountFailedInputs(request, result);
}

absl::StatusOr<v1::BatchResult> BatchMerger::Finish() && {
  if (succeeded_ == 0) return first_failure_;
  return std::move(merged_);
}

}  // namespace hubspot_gateway
