// Decoding one message read from an ArchiveAssociationsStream. The stream is
// served on raw bytes so that a message that cannot be decoded is told apart
// from the end of the stream: the stream then ends with a clear
// INVALID_ARGUMENT instead of gRPC's bare INTERNAL. Pure functions; thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_REQUEST_DECODER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_REQUEST_DECODER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"

namespace hubspot_gateway {

// The request `message` holds, or std::nullopt when it is not an
// ArchiveAssociationsRequest (or holds a string that is not valid UTF-8).
// Leaves `message` empty either way.
std::optional<hubspot::crm::associations::v1::ArchiveAssociationsRequest> DecodeStreamRequest(
    grpc::ByteBuffer& message);

// What a stream ends with when its request at `position` (0 for the first)
// could not be decoded: the requests before it are acknowledged, nothing
// after it is read.
absl::Status UndecodableStreamRequestError(uint64_t position);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_REQUEST_DECODER_H_
