#include "server/hubspot/chunking.h"

#include <algorithm>

namespace hubspot_gateway {

std::vector<Chunk> SplitIntoChunks(
    const hubspot::crm::associations::v1::ArchiveAssociationsRequest& request, int max_per_chunk) {
  std::vector<Chunk> chunks;
  Chunk current;
  for (const auto& input : request.inputs()) {
    for (int begin = 0; begin < input.to_objects_size(); begin += max_per_chunk) {
      if (static_cast<int>(current.size()) == max_per_chunk) {
        chunks.push_back(std::move(current));
        current.clear();
      }
      current.push_back({&input, begin, std::min(begin + max_per_chunk, input.to_objects_size())});
    }
  }
  if (!current.empty()) chunks.push_back(std::move(current));
  return chunks;
}

}  // namespace hubspot_gateway
