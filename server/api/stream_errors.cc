#include "server/api/stream_errors.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "server/hubspot/archive_slice.h"
#include "server/hubspot/batch_merge.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

void BoundError(v1::StandardError& error) {
  if (static_cast<int64_t>(error.ByteSizeLong()) <= kMaxStreamErrorBytes) return;
  constexpr size_t kMaxMessage = 1024;
  if (error.message().size() > kMaxMessage) error.mutable_message()->resize(kMaxMessage);
  int64_t budget = kMaxStreamErrorBytes / 2;
  int64_t omitted = 0;
  for (auto& [key, list] : *error.mutable_context()) {
    auto* values = list.mutable_values();
    int kept = 0;
    for (const std::string& value : *values) {
      budget -= static_cast<int64_t>(value.size() + key.size() + 4);
      if (budget < 0) break;
      ++kept;
    }
    omitted += values->size() - kept;
    values->DeleteSubrange(kept, values->size() - kept);
  }
  error.clear_errors();
  if (omitted > 0) (*error.mutable_context())["omitted"].add_values(absl::StrCat(omitted));
}

std::deque<v1::StandardError> BoundedErrorsOf(const v1::ArchiveAssociationsRequest& request,
                                              const absl::StatusOr<v1::BatchResult>& result) {
  std::deque<v1::StandardError> errors;
  if (result.ok()) {
    errors.assign(result->errors().begin(), result->errors().end());
  } else {
    Chunk part;
    for (const auto& input : request.inputs()) {
      part.push_back(ArchiveSlice::Whole(input));
      if (static_cast<int>(part.size()) == kInputsPerStreamError) {
        errors.push_back(ChunkFailureError(part, result.status()));
        part.clear();
      }
    }
    if (!part.empty() || errors.empty()) errors.push_back(ChunkFailureError(part, result.status()));
  }
  for (v1::StandardError& error : errors) BoundError(error);
  return errors;
}

}  // namespace hubspot_gateway
