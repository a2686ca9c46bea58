// libFuzzer target over what reads a caller's request (as an archive request
// and as a labels request): proto parsing, validation, chunking, body encoding
// and failure accounting. For a request that validates, every (from, to) pair,
// or label, must be encoded exactly once and the body must be JSON HubSpot can read.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "google/protobuf/stubs/logging.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "nlohmann/json.hpp"
#include "server/hubspot/batch_merge.h"
#include "server/hubspot/chunking.h"
#include "server/hubspot/hubspot_json.h"
#include "server/hubspot/request_validation.h"

// Invalid UTF-8 in a string field is an expected parse failure: keep the log quiet.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using hubspot_gateway::ArchiveSlice;

int Parts(const v1::ArchiveInput& input) { return input.to_objects_size(); }
int Parts(const v1::LabelArchiveInput& input) { return input.types_size(); }

// The same bytes read as a request of one batch call: if it validates, every
// part (to id, or label) of every input is encoded exactly once.
template <typename Request>
void Check(const uint8_t* data, size_t size, absl::Status (*validate)(const Request&),
           std::string (*encode)(absl::Span<const ArchiveSlice>), const char* part_key) {
  Request request;
  if (!request.ParseFromArray(data + 1, static_cast<int>(size - 1))) return;
  if (!validate(request).ok()) return;

  const int max_per_chunk = 1 + data[0] % 8;
  size_t parts = 0;
  for (const auto& input : request.inputs()) parts += Parts(input);

  size_t encoded_parts = 0;
  hubspot_gateway::BatchMerger merger;
  for (const auto& chunk : hubspot_gateway::SplitIntoChunks(request, max_per_chunk)) {
    if (chunk.empty() || static_cast<int>(chunk.size()) > max_per_chunk) __builtin_trap();
    const auto body = nlohmann::json::parse(encode(chunk), nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) __builtin_trap();
    for (const auto& input : body["inputs"]) encoded_parts += input[part_key].size();
    merger.AddFailed(chunk, absl::UnavailableError("fuzz"));
  }
  if (encoded_parts != parts) __builtin_trap();
  if (std::move(merger).Finish().ok()) __builtin_trap();  // Nothing succeeded.
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Check<v1::ArchiveAssociationsRequest>(data, size, hubspot_gateway::ValidateArchiveRequest,
                                        hubspot_gateway::EncodeArchiveBody, "to");
  Check<v1::ArchiveAssociationLabelsRequest>(data, size,
                                             hubspot_gateway::ValidateLabelsArchiveRequest,
                                             hubspot_gateway::EncodeLabelsArchiveBody, "types");
  return 0;
}
