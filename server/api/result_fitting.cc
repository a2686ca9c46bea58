#include "server/api/result_fitting.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

bool FitBatchResult(size_t max_bytes, v1::BatchResult& result) {
  if (result.ByteSizeLong() <= max_bytes) return true;
  const int results_dropped = result.results_size();
  result.clear_results();
  std::string note =
      absl::StrCat("the answer exceeded ", max_bytes, " bytes: the gateway dropped HubSpot's ",
                   results_dropped, " results values");
  if (result.ByteSizeLong() > max_bytes) {
    for (v1::StandardError& error : *result.mutable_errors()) {
      if (error.message().size() > kShrunkErrorMessageBytes) {
        error.mutable_message()->resize(kShrunkErrorMessageBytes);
      }
      error.clear_errors();
      error.clear_links();
      error.clear_sub_category();
    }
    absl::StrAppend(&note, ", each error's details, links and sub-category, and cut messages to ",
                    kShrunkErrorMessageBytes, " bytes; ids and categories are complete");
  }
  (*result.mutable_links())["gatewayTruncated"] = std::move(note);
  return result.ByteSizeLong() <= max_bytes;
}

}  // namespace hubspot_gateway
