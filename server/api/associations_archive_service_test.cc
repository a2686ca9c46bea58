// The gRPC layer in process: a real grpc::Server on a loopback port serving
// AssociationsArchiveService over the real archiver, with HubSpot replaced by
// a QueuedHttpTransport that holds each upstream request until the test
// answers it, and a real channel and stub as the caller.
#include "server/api/associations_archive_service.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "hubspot/crm/associations/v1/associations_archive.grpc.pb.h"
#include "server/api/call_observer.h"
#include "server/api/caller_auth.h"
#include "server/api/undecodable_request_interceptor.h"
#include "server/archive/associations_archiver.h"
#include "server/clock/timer_thread_scheduler.h"
#include "server/common/log.h"
#include "server/dispatch/archive_observer.h"
#include "server/dispatch/dispatcher.h"
#include "server/hubspot/endpoint.h"
#include "server/labels/dispatched_labels_reader.h"
#include "server/labels/unlabeled_type_cache.h"
#include "tests/fakes/queued_http_transport.h"
#include "tests/testing/polling.h"
#include "tests/testing/requests.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::hubspot_gateway::testing::WaitUntil;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::FieldsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

constexpr char kGatewayToken[] = "pat-test-gateway-token";
// Bounds every call and every wait, so a broken test fails instead of hanging.
const absl::Duration kTimeout = absl::Seconds(30);

using Metadata = std::vector<std::pair<std::string, std::string>>;

// Inputs from ids first_from.. each to one company.
v1::ArchiveAssociationsRequest Request(int first_from, int count) {
  return hubspot_gateway::testing::SequentialRequest(first_from, count, 100000);
}

v1::ArchiveAssociationsRequest InvalidRequest() {
  v1::ArchiveAssociationsRequest request = Request(1, 1);
  request.mutable_inputs(0)->mutable_from_object()->set_id("x");
  return request;
}

// Whether `request` carries "Authorization: Bearer <token>" (compared, never
// printed).
bool SendsBearer(const HttpRequest& request, absl::string_view token) {
  return absl::c_linear_search(request.headers, std::make_pair(std::string("Authorization"),
                                                               absl::StrCat("Bearer ", token)));
}

// Records what the service tells its CallObserver.
class RecordingCallObserver final : public CallObserver {
 public:
  struct FinishedCall {
    std::string method;
    absl::StatusCode code;
    int inputs_archived;
    int inputs_failed;
  };

  void OnCallStarted() override {
    absl::MutexLock lock(&mu_);
    ++started_;
  }

  void OnUndecodableRequest(absl::string_view method) override {
    absl::MutexLock lock(&mu_);
    undecodable_.emplace_back(method);
  }

  std::vector<std::string> undecodable() {
    absl::MutexLock lock(&mu_);
    return undecodable_;
  }

  void OnCallFinished(absl::string_view method, absl::StatusCode code, absl::Duration,
                      int inputs_archived, int inputs_failed) override {
    absl::MutexLock lock(&mu_);
    finished_.push_back(FinishedCall{std::string(method), code, inputs_archived, inputs_failed});
  }

  int started() {
    absl::MutexLock lock(&mu_);
    return started_;
  }

  // The finished calls, in order, once there are `count` (a stream reports
  // after its caller has the status); what there is after kTimeout.
  std::vector<FinishedCall> WaitForFinished(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return finished_.size() >= count; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), kTimeout);
    return finished_;
  }

 private:
  absl::Mutex mu_;
  int started_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<FinishedCall> finished_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> undecodable_ ABSL_GUARDED_BY(mu_);
};

// An ArchiveAssociations (or ArchiveAssociationLabels) call on the client's
// callback API, so the test goes on while the call waits for HubSpot.
template <typename Request>
class UnaryCallOf {
 public:
  UnaryCallOf(v1::AssociationsArchive::Stub& stub, Request request, const Metadata& metadata = {})
      : request_(std::move(request)) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
    for (const auto& [name, value] : metadata) context_.AddMetadata(name, value);
    auto done = [this](grpc::Status status) {
      absl::MutexLock lock(&mu_);
      status_ = std::move(status);
    };
    if constexpr (std::is_same_v<Request, v1::ArchiveAssociationLabelsRequest>) {
      stub.async()->ArchiveAssociationLabels(&context_, &request_, &response_, done);
    } else {
      stub.async()->ArchiveAssociations(&context_, &request_, &response_, done);
    }
  }

  // gRPC's callback must not outlive the call.
  ~UnaryCallOf() {
    context_.TryCancel();
    Wait();
  }

  // The call's status, once it has one (within its deadline).
  grpc::Status Wait() {
    absl::MutexLock lock(&mu_);
    auto finished = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return status_.has_value(); };
    mu_.Await(absl::Condition(&finished));
    return *status_;
  }

  const v1::BatchResult& response() const { return response_; }

  // The x-request-id the server sent back; after Wait().
  std::string EchoedRequestId() const {
    const auto& metadata = context_.GetServerInitialMetadata();
    auto it = metadata.find("x-request-id");
    return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
  }

 private:
  grpc::ClientContext context_;
  const Request request_;
  v1::BatchResult response_;
  absl::Mutex mu_;
  std::optional<grpc::Status> status_ ABSL_GUARDED_BY(mu_);
};

using UnaryCall = UnaryCallOf<v1::ArchiveAssociationsRequest>;
using LabelsCall = UnaryCallOf<v1::ArchiveAssociationLabelsRequest>;

// Counts the cancellations the dispatch layer reports.
class CountingArchiveObserver final : public ArchiveObserver {
 public:
  void OnCancelled() override { cancellations_.fetch_add(1); }
  int cancellations() const { return cancellations_.load(); }

 private:
  std::atomic<int> cancellations_{0};
};

class AssociationsArchiveServiceTest : public ::testing::Test {
 protected:
  ~AssociationsArchiveServiceTest() override {
    // Answers whatever a failed test left pending, so calls can finish and
    // the server can stop.
    transport_.Shutdown();
    if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(absl::Now() + kTimeout));
  }

  void StartServer(ServiceOptions service_options = {CallerAuth::GatewayToken(kGatewayToken)},
                   int max_concurrent_requests_per_call = 4, int rate_limit = 0) {
    ArchiverOptions archiver_options;
    archiver_options.endpoint = endpoint_;
    archiver_options.max_concurrent_requests_per_call = max_concurrent_requests_per_call;
    DispatchOptions dispatch_options;
    dispatch_options.max_inputs_per_request = 100;
    dispatch_options.budget.max_requests = rate_limit;  // 0: unlimited.
    // Calls hand max_concurrent_requests_per_call chunks, however fast answers come.
    dispatch_options.concurrency.max = 0;
    dispatcher_ = std::make_unique<Dispatcher>(dispatch_options, transport_, scheduler_,
                                               archive_observer_, random_);
    labels_reader_ = std::make_unique<DispatchedLabelsReader>(endpoint_, *dispatcher_, scheduler_);
    unlabeled_types_ = std::make_unique<UnlabeledTypeCache>(
        UnlabeledTypeCacheOptions(), *labels_reader_, scheduler_, [](absl::string_view) {});
    archiver_ = std::make_unique<AssociationsArchiver>(archiver_options, *dispatcher_, scheduler_,
                                                       archive_observer_, *unlabeled_types_);
    service_ = std::make_unique<AssociationsArchiveService>(std::move(service_options), *archiver_,
                                                            logger_, call_observer_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(
        std::make_unique<UndecodableRequestInterceptorFactory>(logger_, call_observer_));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    stub_ = v1::AssociationsArchive::NewStub(channel_);
  }

  QueuedHttpTransport transport_;
  TimerThreadScheduler scheduler_;
  CountingArchiveObserver archive_observer_;
  absl::BitGen random_;
  std::unique_ptr<Dispatcher> dispatcher_;
  const Logger logger_{LogFormat::kText};
  RecordingCallObserver call_observer_;
  const HubSpotEndpoint endpoint_ =
      HubSpotEndpoint::Create("https://hubspot.test", "2026-03").value();
  std::unique_ptr<DispatchedLabelsReader> labels_reader_;
  std::unique_ptr<UnlabeledTypeCache> unlabeled_types_;
  std::unique_ptr<AssociationsArchiver> archiver_;
  std::unique_ptr<AssociationsArchiveService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AssociationsArchive::Stub> stub_;
};

TEST(RequestIdFromMetadataTest, AcceptsOneTo128VisibleAsciiCharacters) {
  const std::string longest(128, 'a');
  struct Case {
    std::string name;
    std::optional<std::string> sent;
    std::optional<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"valid", "trace-123", "trace-123"},
      {"128 characters", longest, longest},
      {"129 characters", longest + "a", std::nullopt},
      {"empty", "", std::nullopt},
      {"space", "trace 123", std::nullopt},
      {"control character", "trace\x01", std::nullopt},
      {"non-ASCII", "trace-\xc3\xa9", std::nullopt},
      {"absent", std::nullopt, std::nullopt},
  };
  for (const Case& test : cases) {
    const std::string other_name = "x-other";
    const std::string other_value = "value";
    const std::string name = "x-request-id";
    CallMetadata metadata = {{other_name, other_value}};
    if (test.sent.has_value()) metadata.emplace(name, *test.sent);
    EXPECT_EQ(RequestIdFromMetadata(metadata), test.expected) << test.name;
  }
}

TEST_F(AssociationsArchiveServiceTest, UnaryCallIsArchivedAndEchoesTheRequestId) {
  StartServer();
  UnaryCall call(*stub_, Request(1000, 2), {{"x-request-id", "trace-42"}});
  ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
  const HttpRequest upstream = transport_.pending()[0];
  EXPECT_EQ(upstream.url,
            "https://hubspot.test/crm/associations/2026-03/contacts/companies/batch/archive");
  EXPECT_TRUE(SendsBearer(upstream, kGatewayToken));
  ASSERT_TRUE(transport_.AnswerNext(QueuedHttpTransport::Response(204)));

  const grpc::Status status = call.Wait();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(call.response().status(), v1::BatchResult::COMPLETE);
  EXPECT_EQ(call.response().num_errors(), 0);
  EXPECT_EQ(call.EchoedRequestId(), "trace-42");
  EXPECT_EQ(transport_.sent(), 1);
  EXPECT_EQ(call_observer_.started(), 1);
  EXPECT_THAT(call_observer_.WaitForFinished(1),
              ElementsAre(FieldsAre("ArchiveAssociations", absl::StatusCode::kOk, 2, 0)));
}

// Removes USER_DEFINED 36 from contacts 101 -> companies 201.
v1::ArchiveAssociationLabelsRequest LabelsRequest() {
  v1::ArchiveAssociationLabelsRequest request;
  request.set_from_object_type("contacts");
  request.set_to_object_type("companies");
  auto* input = request.add_inputs();
  input->mutable_from_object()->set_id("101");
  input->mutable_to_object()->set_id("201");
  input->add_types()->set_category(v1::USER_DEFINED);
  input->mutable_types(0)->set_type_id(36);
  return request;
}

TEST_F(AssociationsArchiveServiceTest, LabelsCallIsArchivedThroughTheSamePath) {
  StartServer();
  LabelsCall call(*stub_, LabelsRequest(), {{"x-request-id", "trace-labels"}});
  ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
  const HttpRequest upstream = transport_.pending()[0];
  EXPECT_EQ(
      upstream.url,
      "https://hubspot.test/crm/associations/2026-03/contacts/companies/batch/labels/archive");
  EXPECT_TRUE(SendsBearer(upstream, kGatewayToken));
  ASSERT_TRUE(transport_.AnswerNext(QueuedHttpTransport::Response(204)));
  const grpc::Status status = call.Wait();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(call.response().status(), v1::BatchResult::COMPLETE);
  EXPECT_EQ(call.EchoedRequestId(), "trace-labels");
  EXPECT_THAT(call_observer_.WaitForFinished(1),
              ElementsAre(FieldsAre("ArchiveAssociationLabels", absl::StatusCode::kOk, 1, 0)));
}

TEST_F(AssociationsArchiveServiceTest, InvalidLabelsCallIsInvalidArgumentWithoutAnyHttpRequest) {
  StartServer();
  v1::ArchiveAssociationLabelsRequest request = LabelsRequest();
  request.mutable_inputs(0)->clear_types();
  LabelsCall call(*stub_, request);
  const grpc::Status status = call.Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("inputs[0].types: at least one is required"));
  EXPECT_EQ(transport_.sent(), 0);
  EXPECT_THAT(
      call_observer_.WaitForFinished(1),
      ElementsAre(FieldsAre("ArchiveAssociationLabels", absl::StatusCode::kInvalidArgument, 0, 1)));
}

TEST_F(AssociationsArchiveServiceTest, InvalidRequestIsInvalidArgumentWithoutAnyHttpRequest) {
  StartServer();
  UnaryCall call(*stub_, InvalidRequest());  // No x-request-id: the service makes one up.
  const grpc::Status status = call.Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(call.EchoedRequestId(), StartsWith("gw-"));
  EXPECT_THAT(status.error_message(),
              HasSubstr(absl::StrCat("[request_id ", call.EchoedRequestId(), "]")));
  EXPECT_EQ(transport_.sent(), 0);
  EXPECT_THAT(
      call_observer_.WaitForFinished(1),
      ElementsAre(FieldsAre("ArchiveAssociations", absl::StatusCode::kInvalidArgument, 0, 1)));
}

TEST_F(AssociationsArchiveServiceTest, UndecodableUnaryRequestIsInvalidArgumentLoggedAndCounted) {
  StartServer();
  // Field 1 (from_object_type) holding bytes that are not UTF-8, as a client
  // with a hand-built encoder could send them.
  const std::string not_utf8 = {'\x0a', '\x02', '\xff', '\xfe'};
  for (const std::string& body : {not_utf8, std::string("\xff\xff\xff")}) {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
    grpc::Slice slice(body);
    const grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    absl::Mutex mu;
    std::optional<grpc::Status> status;
    generic.UnaryCall(&context,
                      "/hubspot.crm.associations.v1.AssociationsArchive/ArchiveAssociations",
                      grpc::StubOptions(), &request, &response, [&](grpc::Status finished) {
                        absl::MutexLock lock(&mu);
                        status = std::move(finished);
                      });
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::optional<grpc::Status>* s) { return s->has_value(); }, &status));
    EXPECT_EQ(status->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status->error_message(), HasSubstr("could not be decoded"));
  }
  EXPECT_THAT(call_observer_.undecodable(),
              ElementsAre("ArchiveAssociations", "ArchiveAssociations"));
  EXPECT_EQ(transport_.sent(), 0);
  // The service still serves well-formed calls.
  UnaryCall call(*stub_, Request(1000, 1));
  ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
  ASSERT_TRUE(transport_.AnswerNext(QueuedHttpTransport::Response(204)));
  EXPECT_TRUE(call.Wait().ok());
}

TEST_F(AssociationsArchiveServiceTest, PassthroughNeedsAWellFormedBearerToken) {
  StartServer({CallerAuth::Passthrough()});
  struct Case {
    std::string name;
    Metadata metadata;
  };
  const std::vector<Case> unusable = {
      {"no authorization", {}},
      {"another scheme", {{"authorization", "Basic dXNlcjpwYXNz"}}},
      {"no token", {{"authorization", "Bearer"}}},
      {"a space in the token", {{"authorization", "Bearer two words"}}},
  };
  for (const Case& test : unusable) {
    UnaryCall call(*stub_, Request(1000, 1), test.metadata);
    EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::UNAUTHENTICATED) << test.name;
  }
  EXPECT_EQ(transport_.sent(), 0);

  constexpr char kCallerToken[] = "pat-test-caller-token";
  UnaryCall call(*stub_, Request(1000, 1),
                 {{"authorization", absl::StrCat("bearer ", kCallerToken)}});
  ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
  EXPECT_TRUE(SendsBearer(transport_.pending()[0], kCallerToken));
  ASSERT_TRUE(transport_.AnswerNext(QueuedHttpTransport::Response(204)));
  EXPECT_TRUE(call.Wait().ok());
}

TEST_F(AssociationsArchiveServiceTest, CallsBeyondMaxInFlightAreRefusedUntilOneFinishes) {
  StartServer({CallerAuth::GatewayToken(kGatewayToken), /*max_in_flight_calls=*/2});
  UnaryCall first(*stub_, Request(1000, 1));
  // One at a time: two calls arriving together may share one request.
  ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
  UnaryCall second(*stub_, Request(2000, 1));
  ASSERT_TRUE(transport_.WaitForPending(2, kTimeout));  // Both held upstream.
  EXPECT_EQ(service_->in_flight_calls(), 2);

  // Refused at once: the two held calls cannot finish before the test answers them.
  UnaryCall refused(*stub_, Request(3000, 1));
  const grpc::Status refusal = refused.Wait();
  EXPECT_EQ(refusal.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refusal.error_message(), HasSubstr("limit of 2 calls in flight"));
  grpc::ClientContext stream_context;
  stream_context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
  auto refused_stream = stub_->ArchiveAssociationsStream(&stream_context);
  EXPECT_EQ(refused_stream->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(transport_.sent(), 2);

  EXPECT_EQ(transport_.AnswerAll(QueuedHttpTransport::Response(204)), 2);
  EXPECT_TRUE(first.Wait().ok());
  EXPECT_TRUE(second.Wait().ok());
  EXPECT_EQ(service_->in_flight_calls(), 0);

  UnaryCall later(*stub_, Request(4000, 1));
  ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
  ASSERT_TRUE(transport_.AnswerNext(QueuedHttpTransport::Response(204)));
  EXPECT_TRUE(later.Wait().ok());

  std::vector<absl::StatusCode> codes;
  for (const auto& finished : call_observer_.WaitForFinished(5)) codes.push_back(finished.code);
  EXPECT_THAT(codes, UnorderedElementsAre(
                         absl::StatusCode::kResourceExhausted, absl::StatusCode::kResourceExhausted,
                         absl::StatusCode::kOk, absl::StatusCode::kOk, absl::StatusCode::kOk));
  EXPECT_EQ(call_observer_.started(), 5);
}

TEST_F(AssociationsArchiveServiceTest, StreamReportsProgressThatAddsUpAndEndsWithDone) {
  StartServer();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
  auto stream = stub_->ArchiveAssociationsStream(&context);
  // 2 chunks, an invalid request (no upstream request), 3 chunks.
  ASSERT_TRUE(stream->Write(Request(1000, 150)));
  ASSERT_TRUE(stream->Write(InvalidRequest()));
  ASSERT_TRUE(stream->Write(Request(2000, 250)));
  ASSERT_TRUE(stream->WritesDone());
  for (int answered = 0; answered < 5;) {
    ASSERT_TRUE(transport_.WaitForPending(1, kTimeout)) << answered << " answered";
    answered += transport_.AnswerAll(QueuedHttpTransport::Response(204));
  }

  std::vector<v1::ArchiveProgress> messages;
  v1::ArchiveProgress progress;
  while (stream->Read(&progress)) messages.push_back(progress);
  const grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(messages.empty());
  std::vector<v1::StandardError> errors;
  std::vector<int64_t> acknowledged;
  for (size_t i = 0; i < messages.size(); ++i) {
    const v1::ArchiveProgress& message = messages[i];
    // The invalid request (position 1) is acknowledged with its error.
    EXPECT_THAT(message.error_positions(), Each(1));
    EXPECT_EQ(message.errors_size() > 0, absl::c_linear_search(message.acknowledged(), 1));
    acknowledged.insert(acknowledged.end(), message.acknowledged().begin(),
                        message.acknowledged().end());
    EXPECT_EQ(message.done(), i + 1 == messages.size()) << "message " << i;
    EXPECT_LE(message.inputs_archived() + message.inputs_failed(), message.inputs_received());
    if (i > 0) {
      EXPECT_GE(message.inputs_archived(), messages[i - 1].inputs_archived());
      EXPECT_GE(message.inputs_failed(), messages[i - 1].inputs_failed());
    }
    errors.insert(errors.end(), message.errors().begin(), message.errors().end());
  }
  const v1::ArchiveProgress& last = messages.back();
  EXPECT_THAT(acknowledged, UnorderedElementsAre(0, 1, 2));
  EXPECT_EQ(last.requests_read(), 3);
  EXPECT_EQ(last.inputs_received(), 401);
  EXPECT_EQ(last.inputs_archived(), 400);
  EXPECT_EQ(last.inputs_failed(), 1);
  EXPECT_EQ(last.upstream_requests(), 5);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].context().at("fromIds").values(), ElementsAre("x"));
  EXPECT_EQ(transport_.sent(), 5);
  EXPECT_THAT(call_observer_.WaitForFinished(1),
              ElementsAre(FieldsAre("ArchiveAssociationsStream", absl::StatusCode::kOk, 400, 1)));
}

TEST_F(AssociationsArchiveServiceTest, StreamReadsNoFurtherThanItsRequestsInFlight) {
  StartServer({CallerAuth::GatewayToken(kGatewayToken)}, /*max_concurrent_requests_per_call=*/2);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
  auto stream = stub_->ArchiveAssociationsStream(&context);
  constexpr int kRequests = 5;  // One upstream request each.
  for (int i = 0; i < kRequests; ++i) ASSERT_TRUE(stream->Write(Request(1000 + 10 * i, 1)));
  ASSERT_TRUE(stream->WritesDone());

  // All five are written; the stream has taken two, and takes one more for
  // each answer.
  for (int answered = 0; answered < kRequests; ++answered) {
    ASSERT_TRUE(transport_.WaitForPending(std::min(2, kRequests - answered), kTimeout))
        << answered << " answered";
    ASSERT_TRUE(transport_.AnswerNext(QueuedHttpTransport::Response(204)));
  }
  EXPECT_EQ(transport_.sent(), kRequests);
  EXPECT_EQ(transport_.max_outstanding(), 2);

  v1::ArchiveProgress progress;
  v1::ArchiveProgress last;
  while (stream->Read(&progress)) last = progress;
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(last.done());
  EXPECT_EQ(last.inputs_archived(), kRequests);
  EXPECT_EQ(last.upstream_requests(), kRequests);
}

TEST_F(AssociationsArchiveServiceTest, DrainedStreamAcknowledgesWhatItReadThenIsUnavailable) {
  StartServer({CallerAuth::GatewayToken(kGatewayToken)}, /*max_concurrent_requests_per_call=*/1);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
  auto stream = stub_->ArchiveAssociationsStream(&context);
  ASSERT_TRUE(stream->Write(Request(1000, 1)));
  ASSERT_TRUE(stream->Write(Request(2000, 1)));  // Not read: one request in flight at most.
  ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
  service_->DrainStreams();
  ASSERT_TRUE(transport_.AnswerNext(QueuedHttpTransport::Response(204)));

  v1::ArchiveProgress progress;
  v1::ArchiveProgress last;
  std::vector<int64_t> acknowledged;
  while (stream->Read(&progress)) {
    acknowledged.insert(acknowledged.end(), progress.acknowledged().begin(),
                        progress.acknowledged().end());
    last = progress;
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("shutting down"));
  EXPECT_THAT(acknowledged, ElementsAre(0));
  EXPECT_EQ(last.requests_read(), 1);
  EXPECT_TRUE(last.done());
  EXPECT_EQ(transport_.sent(), 1);

  // Streams that start after the drain are refused the same way.
  grpc::ClientContext later_context;
  auto later = stub_->ArchiveAssociationsStream(&later_context);
  while (later->Read(&progress)) {
  }
  EXPECT_EQ(later->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(AssociationsArchiveServiceTest, StreamsPastTheCallersShareAreRefusedButCallsAreServed) {
  ServiceOptions options{CallerAuth::GatewayToken(kGatewayToken)};
  options.max_streams_per_caller = 2;
  StartServer(std::move(options));
  // Two idle streams hold the caller's share (a first progress message is
  // not sent before a request, so Read would wait: the server's count says
  // they are open).
  grpc::ClientContext first_context;
  grpc::ClientContext second_context;
  auto first = stub_->ArchiveAssociationsStream(&first_context);
  auto second = stub_->ArchiveAssociationsStream(&second_context);
  ASSERT_TRUE(WaitUntil([&] { return service_->in_flight_calls() == 2; }, kTimeout));

  grpc::ClientContext refused_context;
  refused_context.set_deadline(absl::ToChronoTime(absl::Now() + kTimeout));
  auto refused = stub_->ArchiveAssociationsStream(&refused_context);
  v1::ArchiveProgress progress;
  EXPECT_FALSE(refused->Read(&progress));
  const grpc::Status refusal = refused->Finish();
  EXPECT_EQ(refusal.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refusal.error_message(), HasSubstr("--max_streams_per_caller"));

  // Unary calls do not count against the share.
  UnaryCall call(*stub_, Request(1000, 1));
  ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
  ASSERT_TRUE(transport_.AnswerNext(QueuedHttpTransport::Response(204)));
  EXPECT_TRUE(call.Wait().ok());

  // A finished stream gives its place back.
  ASSERT_TRUE(first->WritesDone());
  while (first->Read(&progress)) {
  }
  EXPECT_TRUE(first->Finish().ok());
  ASSERT_TRUE(WaitUntil([&] { return service_->in_flight_calls() == 1; }, kTimeout));
  grpc::ClientContext third_context;
  auto third = stub_->ArchiveAssociationsStream(&third_context);
  ASSERT_TRUE(third->WritesDone());
  ASSERT_TRUE(third->Read(&progress));
  EXPECT_TRUE(progress.done());
  EXPECT_TRUE(third->Finish().ok());
  second_context.TryCancel();
  second->Finish();
}

TEST_F(AssociationsArchiveServiceTest, UnaryCallPastMaxInputsPointsToTheStream) {
  ServiceOptions options{CallerAuth::GatewayToken(kGatewayToken)};
  options.max_inputs_per_call = 3;
  StartServer(std::move(options));
  UnaryCall call(*stub_, Request(1, 4));
  const grpc::Status status = call.Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("ArchiveAssociationsStream"));
  EXPECT_EQ(transport_.sent(), 0);
  UnaryCall within(*stub_, Request(1, 3));
  ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
  transport_.AnswerNext(QueuedHttpTransport::Response(204));
  EXPECT_TRUE(within.Wait().ok());
}

TEST_F(AssociationsArchiveServiceTest, UnknownPriorityIsInvalidArgumentWithoutAnyHttpRequest) {
  StartServer();
  UnaryCall call(*stub_, Request(1, 2), {{"x-archive-priority", "urgent"}});
  const grpc::Status status = call.Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("x-archive-priority"));
  EXPECT_EQ(transport_.sent(), 0);
}

TEST_F(AssociationsArchiveServiceTest, CallThatCannotBeSentBeforeItsDeadlineFailsAtOnce) {
  // One request per 10 s: the first call takes the window; the second, with
  // 300 ms left, could go only when the window moves on.
  StartServer({CallerAuth::GatewayToken(kGatewayToken)}, 4, /*rate_limit=*/1);
  UnaryCall first(*stub_, Request(1, 100));
  ASSERT_TRUE(transport_.WaitForPending(1, kTimeout));
  grpc::ClientContext late_context;
  late_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(300)));
  v1::ArchiveAssociationsRequest late_request = Request(500, 2);
  v1::BatchResult late_result;
  const grpc::Status late = stub_->ArchiveAssociations(&late_context, late_request, &late_result);
  // Not a bare DEADLINE_EXCEEDED after waiting: RESOURCE_EXHAUSTED at once,
  // saying how long the limit holds the token.
  EXPECT_EQ(late.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(late.error_message(), HasSubstr("after this call's deadline"));
  google::rpc::Status rich;
  v1::UpstreamError detail;
  ASSERT_TRUE(rich.ParseFromString(late.error_details()));
  ASSERT_EQ(rich.details_size(), 1);
  ASSERT_TRUE(rich.details(0).UnpackTo(&detail));
  EXPECT_GT(detail.retry_after().seconds(), 0);
  EXPECT_THAT(call_observer_.WaitForFinished(1),
              ElementsAre(FieldsAre("ArchiveAssociations", ::testing::_, 0, 2)));
  EXPECT_EQ(archive_observer_.cancellations(), 0);
  EXPECT_EQ(transport_.sent(), 1);
  ASSERT_TRUE(transport_.AnswerNext(QueuedHttpTransport::Response(204)));
  EXPECT_TRUE(first.Wait().ok());
  EXPECT_EQ(transport_.sent(), 1);
}

}  // namespace
}  // namespace hubspot_gateway
