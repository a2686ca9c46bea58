#include "tests/testing/bulk_stream.h"

#include <utility>

#include "absl/time/clock.h"

namespace hubspot_gateway::testing {

namespace v1 = ::hubspot::crm::associations::v1;

BulkStream::BulkStream(v1::AssociationsArchive::Stub& stub,
                       std::vector<v1::ArchiveAssociationsRequest> requests,
                       absl::Duration deadline, const std::string& caller) {
  context_.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  if (!caller.empty()) context_.AddMetadata("x-archive-caller", caller);
  stream_ = stub.ArchiveAssociationsStream(&context_);
  writer_ = std::thread([this, requests = std::move(requests)] {
    for (const auto& request : requests) {
      if (!stream_->Write(request)) return;  // Cancelled, or the server finished.
    }
    stream_->WritesDone();
  });
  reader_ = std::thread([this] {
    v1::ArchiveProgress progress;
    while (stream_->Read(&progress)) {
      absl::MutexLock lock(&mu_);
      progress_ = progress;
    }
  });
}

BulkStream::~BulkStream() {
  if (!finished_) {
    Cancel();
    (void)Finish();
  }
}

v1::ArchiveProgress BulkStream::progress() {
  absl::MutexLock lock(&mu_);
  return progress_;
}

grpc::Status BulkStream::Finish() {
  reader_.join();
  writer_.join();
  finished_ = true;
  return stream_->Finish();
}

}  // namespace hubspot_gateway::testing
