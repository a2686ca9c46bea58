// Bulk mode of the sample client: streams (from, to) pairs from a file (or
// stdin) to ArchiveAssociationsStream, shows progress (a bar on a terminal,
// plain lines otherwise), and writes every pair that failed to a file in the
// same format so it can be fed back in. Not thread-safe: one run at a time.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_ARCHIVE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_ARCHIVE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>

#include "client/bulk_pairs.h"
#include "hubspot/crm/associations/v1/associations_archive.grpc.pb.h"

namespace hubspot_gateway {

struct BulkOptions {
  // A CSV or JSON Lines file of pairs; "-" reads stdin.
  std::string input_path;
  PairFormat format = PairFormat::kCsv;
  // Where the pairs that failed go (same format); empty for nowhere.
  std::string failed_path;
  std::string from_object_type;
  std::string to_object_type;
  // Pairs per streamed request.
  int pairs_per_message = 100;
};

struct BulkOutcome {
  // The stream's status, or INVALID_ARGUMENT for an unreadable input line.
  grpc::Status status;
  int64_t pairs_sent = 0;
  int64_t pairs_archived = 0;
  int64_t pairs_failed = 0;
};

// Runs one bulk archive on `stub`; `context` carries deadline and metadata.
BulkOutcome RunBulkArchive(hubspot::crm::associations::v1::AssociationsArchive::Stub& stub,
                           grpc::ClientContext& context, const BulkOptions& options);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_ARCHIVE_H_
