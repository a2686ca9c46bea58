// BulkStream is one ArchiveAssociationsStream driven by two threads: one
// writes the requests (then WritesDone), the other reads the progress as it
// comes. Cancels and finishes the stream on destruction if the test did not.
// For integration tests and benchmarks; progress() and Cancel() may be called
// from any thread, Finish() from the owning one.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_BULK_STREAM_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_BULK_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hubspot/crm/associations/v1/associations_archive.grpc.pb.h"

namespace hubspot_gateway::testing {

class BulkStream {
 public:
  // `caller`, when set, is sent as the x-archive-caller metadata (the flow
  // the gateway queues the stream's requests in).
  BulkStream(hubspot::crm::associations::v1::AssociationsArchive::Stub& stub,
             std::vector<hubspot::crm::associations::v1::ArchiveAssociationsRequest> requests,
             absl::Duration deadline = absl::Seconds(150), const std::string& caller = "");
  ~BulkStream();

  // The latest progress message.
  hubspot::crm::associations::v1::ArchiveProgress progress();

  void Cancel() { context_.TryCancel(); }

  // Waits for the stream to end; its status.
  grpc::Status Finish();

 private:
  grpc::ClientContext context_;
  std::unique_ptr<
      grpc::ClientReaderWriter<hubspot::crm::associations::v1::ArchiveAssociationsRequest,
                               hubspot::crm::associations::v1::ArchiveProgress>>
      stream_;
  std::thread writer_;
  std::thread reader_;
  bool finished_ = false;
  absl::Mutex mu_;
  hubspot::crm::associations::v1::ArchiveProgress progress_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hubspot_gateway::testing

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_BULK_STREAM_H_
