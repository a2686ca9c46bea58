#include "server/api/stream_request_decoder.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include "absl/strings/str_cat.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

std::optional<v1::ArchiveAssociationsRequest> DecodeStreamRequest(grpc::ByteBuffer& message) {
  v1::ArchiveAssociationsRequest request;
  const bool decoded =
      grpc::SerializationTraits<v1::ArchiveAssociationsRequest>::Deserialize(&message, &request)
          .ok();
  message.Clear();
  if (!decoded) return std::nullopt;
  return request;
}

absl::Status UndecodableStreamRequestError(uint64_t position) {
  return absl::InvalidArgumentError(absl::StrCat(
      "request ", position,
      " on the stream could not be decoded (not an ArchiveAssociationsRequest, or a string that "
      "is not valid UTF-8): the requests before it are acknowledged, nothing after it was read"));
}

}  // namespace hubspot_gateway
