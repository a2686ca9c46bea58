// StreamProgress keeps what one ArchiveAssociationsStream has to tell its
// caller: the running counts, and the requests finished but not yet
// acknowledged with their errors. It cuts them into ArchiveProgress messages
// of bounded size, oldest first, each request acknowledged (by its position
// on the stream) in the message that carries its last error. Not thread-safe:
// its stream reactor keeps it under the reactor's lock.
//
//   StreamProgress progress(ProgressLimits{});
//   const uint64_t position = progress.Read(request.inputs_size());
//   ...  // once archived
//   progress.Finished(position, archived, failed, std::move(errors));
//   if (progress.HasNews()) Write(progress.Next(/*finished=*/false));
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_PROGRESS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_PROGRESS_H_

#include <cstdint>
#include <deque>

#include "hubspot/crm/associations/v1/associations_archive.pb.h"

namespace hubspot_gateway {

// Bounds of one progress message.
struct ProgressLimits {
  // Serialized errors per message (gRPC's default limit is 4 MiB).
  int64_t max_message_bytes = 1 << 20;
  int max_message_errors = 1000;
  int max_message_acknowledgements = 10000;
};

// What a stream did so far.
struct StreamCounts {
  int64_t requests_read = 0;
  int64_t inputs_received = 0;
  int64_t inputs_archived = 0;
  int64_t inputs_failed = 0;
  int64_t upstream_requests = 0;
};

class StreamProgress {
 public:
  // Per acknowledgement or error held unsent: its position and framing.
  static constexpr int64_t kEntryOverhead = 16;

  explicit StreamProgress(ProgressLimits limits) : limits_(limits) {}

  // Counts a request read with `inputs` inputs (not news on its own);
  // returns its position on the stream (0 for the first).
  uint64_t Read(int inputs);

  // Counts upstream requests made for the stream.
  void CountUpstream(int requests);

  // The request at `position` finished with `inputs_archived` and
  // `inputs_failed` and these (bounded) `errors`: counted, and held until a
  // message acknowledges it.
  void Finished(uint64_t position, int inputs_archived, int inputs_failed,
                std::deque<hubspot::crm::associations::v1::StandardError> errors);

  // Whether a message would tell the caller something it has not been told.
  bool HasNews() const { return changed_ || !unsent_.empty(); }
  // Whether every finished request has been acknowledged in a message.
  bool AllSent() const { return unsent_.empty(); }
  // What finished requests hold unsent (errors and acknowledgements).
  int64_t unsent_bytes() const { return unsent_bytes_; }
  const StreamCounts& counts() const { return counts_; }

  // The next message: the counts, and the oldest unsent errors and
  // acknowledgements within the limits (always at least one error, so each
  // message makes progress), acknowledgements ascending. `done` is set when
  // `finished` (no request remains to finish) and nothing is left unsent.
  hubspot::crm::associations::v1::ArchiveProgress Next(bool finished);

 private:
  // A finished request not yet (entirely) sent: its errors still to send.
  struct Unsent {
    uint64_t position = 0;
    std::deque<hubspot::crm::associations::v1::StandardError> errors;
  };

  // Moves into `message` what the limits allow of unsent_.
  void TakeUnsent(hubspot::crm::associations::v1::ArchiveProgress& message);

  const ProgressLimits limits_;
  StreamCounts counts_;
  std::deque<Unsent> unsent_;
  int64_t unsent_bytes_ = 0;
  // Whether the counts changed since the last message.
  bool changed_ = false;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_PROGRESS_H_
