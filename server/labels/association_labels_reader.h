// AssociationLabelsReader: the seam between the labels guard's cache and
// HubSpot. One Read asks HubSpot which of an object pair's association types
// are unlabeled (its association-labels read, GET .../{from}/{to}/labels).
// DispatchedLabelsReader implements it through the token's dispatcher; the
// cache's tests substitute an in-process fake. Implementations are
// thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_ASSOCIATION_LABELS_READER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_ASSOCIATION_LABELS_READER_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/flow/flow_queue.h"
#include "server/labels/unlabeled_types.h"
#include "server/lane/lane.h"

namespace hubspot_gateway {

// Whose budget pays for a read, and whose share of it: the token, and the
// lane and flow of the call that needed the read.
struct LabelsReadFor {
  std::string token;  // A secret: never log it.
  Lane lane = Lane::kInteractive;
  FlowKey flow;
};

class AssociationLabelsReader {
 public:
  // The pair's unlabeled types, or why they could not be read.
  using Done = absl::AnyInvocable<void(absl::StatusOr<UnlabeledTypes>) &&>;

  virtual ~AssociationLabelsReader() = default;

  // Reads the unlabeled types of `from_object_type` to `to_object_type` with
  // `who`'s token, giving up at `deadline`. `done` runs exactly once, on any
  // thread, possibly before Read returns.
  virtual void Read(const LabelsReadFor& who, absl::string_view from_object_type,
                    absl::string_view to_object_type, absl::Time deadline, Done done) = 0;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_ASSOCIATION_LABELS_READER_H_
