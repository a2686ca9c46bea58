// DispatchedLabelsReader reads an object pair's association types from
// HubSpot (GET .../{from}/{to}/labels) as a request of the token's
// TokenDispatcher, like the archive calls' chunks: it waits for the token's
// rate budget in the lane and flow of the call that needed it, spends one
// request of the window, is retried on 429s and 5xx, and teaches the budget
// from its answer's headers. It never shares a request with other work.
//
// Thread-safety: Read may be called from any thread. `done` runs on the
// thread the dispatcher finishes the read on (see token_dispatcher.h: an
// answer's transport thread, the scheduler's thread at the deadline, or
// Read's caller when the read fails at once).
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_DISPATCHED_LABELS_READER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_DISPATCHED_LABELS_READER_H_

#include "server/clock/scheduler.h"
#include "server/dispatch/dispatcher.h"
#include "server/hubspot/endpoint.h"
#include "server/labels/association_labels_reader.h"

namespace hubspot_gateway {

class DispatchedLabelsReader final : public AssociationLabelsReader {
 public:
  // The references must outlive the reader and every read it started.
  DispatchedLabelsReader(const HubSpotEndpoint& endpoint, Dispatcher& dispatcher,
                         Scheduler& scheduler);

  // A read still queued at `deadline` fails then (or at once, with
  // RESOURCE_EXHAUSTED, when the budget cannot send it before); one in
  // flight ends by then (its HTTP timeout is capped by the deadline).
  void Read(const LabelsReadFor& who, absl::string_view from_object_type,
            absl::string_view to_object_type, absl::Time deadline, Done done) override;

 private:
  const HubSpotEndpoint& endpoint_;
  Dispatcher& dispatcher_;
  Scheduler& scheduler_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_DISPATCHED_LABELS_READER_H_
