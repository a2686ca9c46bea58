// ArchiveStreamReactor on a real grpc::Server over loopback, its idleness on
// a ManualScheduler: the test moves the stream's clock, so idle streams end
// (or do not) without the test sleeping. Upstream is a QueuedHttpTransport
// that holds each request until the test answers it.
#include "server/api/archive_stream_reactor.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hubspot/crm/associations/v1/associations_archive.grpc.pb.h"
#include "server/api/archive_streams.h"
#include "server/archive/associations_archiver.h"
#include "server/clock/timer_thread_scheduler.h"
#include "server/dispatch/archive_observer.h"
#include "server/dispatch/dispatcher.h"
#include "server/hubspot/endpoint.h"
#include "server/labels/dispatched_labels_reader.h"
#include "server/labels/unlabeled_type_cache.h"
#include "tests/fakes/manual_scheduler.h"
#include "tests/fakes/queued_http_transport.h"
#include "tests/testing/polling.h"
#include "tests/testing/requests.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::hubspot_gateway::testing::WaitUntil;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Bounds every wait on another thread, so a broken test fails instead of hanging.
const absl::Duration kTimeout = absl::Seconds(30);
// Checked every second (a quarter of it).
const absl::Duration kIdleTimeout = absl::Seconds(4);

class NoArchiveObserver final : public ArchiveObserver {};

// Serves ArchiveAssociationsStream alone, each stream an ArchiveStreamReactor,
// and keeps the summaries of finished streams.
class StreamService final
    : public v1::AssociationsArchive::WithRawCallbackMethod_ArchiveAssociationsStream<
          v1::AssociationsArchive::Service> {
 public:
  explicit StreamService(const ArchiveStreamReactor::Dependencies& dependencies)
      : dependencies_(dependencies) {}

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ArchiveAssociationsStream(
      grpc::CallbackServerContext* context) override {
    ArchiveCallContext call;
    call.token = "pat-test-token";
    call.lane = Lane::kBulk;
    return new ArchiveStreamReactor(*context, dependencies_, std::move(call), absl::OkStatus(),
                                    [this](const StreamSummary& summary) {
                                      absl::MutexLock lock(&mu_);
                                      summaries_.push_back(summary);
                                    });
  }

  // The summaries, once there are `count`.
  std::vector<StreamSummary> WaitForSummaries(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return summaries_.size() >= count; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), kTimeout);
    return summaries_;
  }

 private:
  const ArchiveStreamReactor::Dependencies dependencies_;
  absl::Mutex mu_;
  std::vector<StreamSummary> summaries_ ABSL_GUARDED_BY(mu_);
};

// A stream call on the synchronous client API.
struct OpenStream {
  explicit OpenStream(v1::AssociationsArchive::Stub& stub)
      : context(ContextWithDeadline()), stream(stub.ArchiveAssociationsStream(context.get())) {}

  static std::unique_ptr<grpc::ClientContext> ContextWithDeadline() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
    return context;
  }

  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ArchiveAssociationsRequest, v1::ArchiveProgress>>
      stream;
};

class ArchiveStreamReactorTest : public ::testing::Test {
 protected:
  ArchiveStreamReactorTest() {
    ArchiverOptions archiver_options;
    archiver_options.endpoint = endpoint_;
    archiver_options.max_concurrent_requests_per_call = 2;
    DispatchOptions dispatch_options;
    dispatch_options.max_inputs_per_request = 100;
    dispatch_options.budget.max_requests = 0;  // Unlimited: nothing waits on the real clock.
    dispatcher_ = std::make_unique<Dispatcher>(dispatch_options, transport_, dispatch_clock_,
                                               observer_, random_);
    labels_reader_ =
        std::make_unique<DispatchedLabelsReader>(endpoint_, *dispatcher_, dispatch_clock_);
    unlabeled_types_ = std::make_unique<UnlabeledTypeCache>(
        UnlabeledTypeCacheOptions(), *labels_reader_, dispatch_clock_, [](absl::string_view) {});
    archiver_ = std::make_unique<AssociationsArchiver>(
        archiver_options, *dispatcher_, dispatch_clock_, observer_, *unlabeled_types_);
    service_ = std::make_unique<StreamService>(
        ArchiveStreamReactor::Dependencies{*archiver_, streams_, StreamLimits()});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    stub_ = v1::AssociationsArchive::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  ~ArchiveStreamReactorTest() override {
    transport_.Shutdown();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + kTimeout));
  }

  // Whether a stream has registered (its idle check is queued), so that
  // moving the clock now counts from the stream's start.
  bool Registered() {
    return WaitUntil([&] { return stream_clock_.NextDue() != absl::InfiniteFuture(); }, kTimeout);
  }

  // Answers the next upstream request with 204, once it is sent.
  void AnswerNext() {
    ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
    ASSERT_TRUE(transport_.AnswerNext(QueuedHttpTransport::Response(204)));
  }

  // The stream's clock: it moves only when the test says.
  ManualScheduler stream_clock_;
  ArchiveStreams streams_{stream_clock_, kIdleTimeout};
  QueuedHttpTransport transport_;
  TimerThreadScheduler dispatch_clock_;
  NoArchiveObserver observer_;
  absl::BitGen random_;
  std::unique_ptr<Dispatcher> dispatcher_;
  const HubSpotEndpoint endpoint_ =
      HubSpotEndpoint::Create("https://hubspot.test", "2026-03").value();
  std::unique_ptr<DispatchedLabelsReader> labels_reader_;
  std::unique_ptr<UnlabeledTypeCache> unlabeled_types_;
  std::unique_ptr<AssociationsArchiver> archiver_;
  std::unique_ptr<StreamService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AssociationsArchive::Stub> stub_;
};

TEST_F(ArchiveStreamReactorTest, AStreamIdleForTheTimeoutEndsWithDeadlineExceeded) {
  OpenStream open(*stub_);
  ASSERT_TRUE(Registered());
  auto& stream = open.stream;
  stream_clock_.AdvanceBy(kIdleTimeout - absl::Seconds(1));
  stream_clock_.AdvanceBy(absl::Seconds(1));
  v1::ArchiveProgress progress;
  ASSERT_TRUE(stream->Read(&progress));
  EXPECT_TRUE(progress.done());
  EXPECT_EQ(progress.requests_read(), 0);
  EXPECT_FALSE(stream->Read(&progress));
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(), HasSubstr("stream idle for 4s (no request read"));
  const std::vector<StreamSummary> summaries = service_->WaitForSummaries(1);
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_TRUE(absl::IsDeadlineExceeded(summaries[0].status));
}

TEST_F(ArchiveStreamReactorTest, AStreamIdleForLessThanTheTimeoutStillReads) {
  OpenStream open(*stub_);
  ASSERT_TRUE(Registered());
  auto& stream = open.stream;
  stream_clock_.AdvanceBy(kIdleTimeout - absl::Seconds(1));
  ASSERT_TRUE(stream->Write(testing::SequentialRequest(1000, 1, 100000)));
  AnswerNext();
  v1::ArchiveProgress progress;
  ASSERT_TRUE(stream->Read(&progress));
  EXPECT_THAT(progress.acknowledged(), ElementsAre(0));
  ASSERT_TRUE(stream->WritesDone());
  ASSERT_TRUE(stream->Read(&progress));
  EXPECT_TRUE(progress.done());
  EXPECT_EQ(progress.inputs_archived(), 1);
  EXPECT_TRUE(stream->Finish().ok());
  const std::vector<StreamSummary> summaries = service_->WaitForSummaries(1);
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_TRUE(summaries[0].status.ok());
  EXPECT_EQ(summaries[0].inputs_received, 1);
  EXPECT_EQ(summaries[0].upstream_requests, 1);
}

TEST_F(ArchiveStreamReactorTest, ARequestInFlightKeepsTheStreamOpenPastTheTimeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
  auto stream = stub_->ArchiveAssociationsStream(&context);
  ASSERT_TRUE(stream->Write(testing::SequentialRequest(1000, 1, 100000)));
  ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
  stream_clock_.AdvanceBy(absl::Hours(1));  // HubSpot is slow; the stream waits.
  ASSERT_TRUE(transport_.AnswerNext(QueuedHttpTransport::Response(204)));
  v1::ArchiveProgress progress;
  ASSERT_TRUE(stream->Read(&progress));
  EXPECT_THAT(progress.acknowledged(), ElementsAre(0));
  ASSERT_TRUE(stream->WritesDone());
  ASSERT_TRUE(stream->Read(&progress));
  EXPECT_TRUE(progress.done());
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(service_->WaitForSummaries(1)[0].status.ok());
}

TEST_F(ArchiveStreamReactorTest, ADrainedStreamFinishesWhatItReadThenIsUnavailable) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
  auto stream = stub_->ArchiveAssociationsStream(&context);
  ASSERT_TRUE(stream->Write(testing::SequentialRequest(1000, 1, 100000)));
  ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
  streams_.Drain();
  AnswerNext();
  v1::ArchiveProgress progress;
  std::vector<int64_t> acknowledged;
  bool done = false;
  while (stream->Read(&progress)) {
    acknowledged.insert(acknowledged.end(), progress.acknowledged().begin(),
                        progress.acknowledged().end());
    done = progress.done();
  }
  EXPECT_TRUE(done);
  EXPECT_THAT(acknowledged, ElementsAre(0));
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("shutting down"));

  // A stream that starts after the drain is refused.
  grpc::ClientContext later_context;
  later_context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
  auto later = stub_->ArchiveAssociationsStream(&later_context);
  EXPECT_FALSE(later->Read(&progress));
  EXPECT_EQ(later->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace hubspot_gateway
