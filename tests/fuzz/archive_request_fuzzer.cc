// libFuzzer target over what reads a caller's request: proto parsing,
// validation, chunking, body encoding and failure accounting. For a request
// that validates, every (from, to) pair must be encoded exactly once and the
// body must be JSON HubSpot can read.
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
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

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  hubspot::crm::associations::v1::ArchiveAssociationsRequest request;
  if (!request.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  if (!hubspot_gateway::ValidateArchiveRequest(request).ok()) return 0;

  const int max_per_chunk = 1 + data[0] % 8;
  size_t pairs = 0;
  for (const auto& input : request.inputs()) pairs += input.to_objects_size();

  size_t encoded_pairs = 0;
  hubspot_gateway::BatchMerger merger;
  for (const auto& chunk : hubspot_gateway::SplitIntoChunks(request, max_per_chunk)) {
    if (chunk.empty() || static_cast<int>(chunk.size()) > max_per_chunk) __builtin_trap();
    const auto body = nlohmann::json::parse(hubspot_gateway::EncodeArchiveBody(chunk), nullptr,
                                            /*allow_exceptions=*/false);
    if (body.is_discarded()) __builtin_trap();
    for (const auto& input : body["inputs"]) encoded_pairs += input["to"].size();
    merger.AddFailed(chunk, absl::UnavailableError("fuzz"));
  }
  if (encoded_pairs != pairs) __builtin_trap();
  if (std::move(merger).Finish().ok()) __builtin_trap();  // Nothing succeeded.
  return 0;
}
