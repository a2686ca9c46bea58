#include "server/hubspot/chunking.h"

#include <algorithm>

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;

int PartsOf(const v1::ArchiveInput& input) { return input.to_objects_size(); }
int PartsOf(const v1::LabelArchiveInput& input) { return input.types_size(); }

template <typename Request>
std::vector<Chunk> Split(const Request& request, int max_per_chunk) {
  std::vector<Chunk> chunks;
  Chunk current;
  for (const auto& input : request.inputs()) {
    const int parts = PartsOf(input);
    for (int begin = 0; begin < parts; begin += max_per_chunk) {
      if (static_cast<int>(current.size()) == max_per_chunk) {
        chunks.push_back(std::move(current));
        current.clear();
      }
      current.push_back(ArchiveSlice::Of(input, begin, std::min(begin + max_per_chunk, parts)));
    }
  }
  if (!current.empty()) chunks.push_back(std::move(current));
  return chunks;
}

}  // namespace

std::vector<Chunk> SplitIntoChunks(const v1::ArchiveAssociationsRequest& request,
                                   int max_per_chunk) {
  return Split(request, max_per_chunk);
}

std::vector<Chunk> SplitIntoChunks(const v1::ArchiveAssociationLabelsRequest& request,
                                   int max_per_chunk) {
  return Split(request, max_per_chunk);
}

}  // namespace hubspot_gateway
