// Bulk mode of the sample client: streams (from, to) pairs from a file (or
// stdin) to ArchiveAssociationsStream following the stream's acknowledgement
// protocol (see the proto): a pair counts as archived only once its request
// is acknowledged; requests left unacknowledged when a stream breaks with
// UNAVAILABLE (or is cancelled by a draining gateway) are sent again on a new
// stream, with backoff; whatever is not confirmed archived in the end is
// written to the failed file in the input's format, so it can be fed back in.
// Shows progress (a bar on a terminal, plain lines otherwise). Not
// thread-safe: one run at a time.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_ARCHIVE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_ARCHIVE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/bulk_pairs.h"
#include "hubspot/crm/associations/v1/associations_archive.grpc.pb.h"

namespace hubspot_gateway {

struct BulkOptions {
  // A CSV or JSON Lines file of pairs; "-" reads stdin.
  std::string input_path;
  PairFormat format = PairFormat::kCsv;
  // Where the pairs not confirmed archived go (same format); empty for nowhere.
  std::string failed_path;
  // Where acknowledged requests are recorded, and skipped on a rerun; empty
  // for no journal.
  std::string journal_path;
  std::string from_object_type;
  std::string to_object_type;
  // Pairs per streamed request.
  int pairs_per_message = 100;
  // New streams opened in a row, without an acknowledgement in between,
  // after one broke with UNAVAILABLE or CANCELLED.
  int max_reconnects = 5;
  // The wait before the first reconnect; doubled for each next one.
  absl::Duration initial_backoff = absl::Milliseconds(250);
};

struct BulkOutcome {
  // The last stream's status, or INVALID_ARGUMENT for an unreadable input
  // line, FAILED_PRECONDITION for an unusable journal.
  grpc::Status status;
  // The pairs of this run (those skipped from the journal excluded): each is
  // archived (acknowledged, not named in an error), failed (named in an
  // error of its acknowledged request) or unconfirmed (never acknowledged).
  int64_t pairs = 0;
  int64_t pairs_archived = 0;
  int64_t pairs_failed = 0;
  int64_t pairs_unconfirmed = 0;
  // Pairs skipped because the journal recorded their request acknowledged,
  // and how many of those had failed (written to the failed file again).
  int64_t pairs_skipped = 0;
  int64_t skipped_failed = 0;
  int reconnects = 0;
  // UNAVAILABLE naming --failed_out when it could not be written whole (or
  // created, then nothing was sent).
  absl::Status failed_file_status;

  // Whether archived + failed + unconfirmed == pairs.
  bool CountsAddUp() const { return pairs_archived + pairs_failed + pairs_unconfirmed == pairs; }
};

// Runs one bulk archive on `stub`. `prepare` sets up each stream's context
// (deadline, metadata); false stops the run.
BulkOutcome RunBulkArchive(hubspot::crm::associations::v1::AssociationsArchive::Stub& stub,
                           const std::function<bool(grpc::ClientContext&)>& prepare,
                           const BulkOptions& options);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_CLIENT_BULK_ARCHIVE_H_
