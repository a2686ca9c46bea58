#include "server/archive/associations_archiver.h"

#include <pthread.h>

#include <atomic>
#include <functional>
#include <optional>

#include "absl/random/mock_distributions.h"
#include "absl/random/mocking_bit_gen.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/hubspot/batch_merge.h"
#include "server/hubspot/upstream_error_status.h"
#include "server/labels/dispatched_labels_reader.h"
#include "tests/fakes/fake_http_transport.h"
#include "tests/fakes/manual_scheduler.h"
#include "tests/fakes/queued_http_transport.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kToken[] = "pat-test-token";

v1::ArchiveAssociationsRequest Request(int inputs, int to_per_input = 1) {
  v1::ArchiveAssociationsRequest request;
  request.set_from_object_type("contacts");
  request.set_to_object_type("companies");
  for (int i = 0; i < inputs; ++i) {
    auto* input = request.add_inputs();
    input->mutable_from_object()->set_id(absl::StrCat(1000 + i));
    for (int j = 0; j < to_per_input; ++j) {
      input->add_to_objects()->set_id(absl::StrCat(5000 + i * to_per_input + j));
    }
  }
  return request;
}

// `inputs` label inputs (pair 1000+i -> 5000+i), each removing `types` labels.
v1::ArchiveAssociationLabelsRequest LabelsRequest(int inputs, int types = 1) {
  v1::ArchiveAssociationLabelsRequest request;
  request.set_from_object_type("contacts");
  request.set_to_object_type("companies");
  for (int i = 0; i < inputs; ++i) {
    auto* input = request.add_inputs();
    input->mutable_from_object()->set_id(absl::StrCat(1000 + i));
    input->mutable_to_object()->set_id(absl::StrCat(5000 + i));
    for (int t = 0; t < types; ++t) {
      auto* type = input->add_types();
      type->set_category(v1::USER_DEFINED);
      type->set_type_id(36 + t);
    }
  }
  return request;
}

struct Outcome {
  absl::StatusOr<v1::BatchResult> result;
  UpstreamSummary summary;
};

class AssociationsArchiverTest : public testing::Test {
 protected:
  AssociationsArchiverTest() {
    options_.endpoint = HubSpotEndpoint::Create("https://hubspot.test", "2026-03").value();
    options_.max_concurrent_requests_per_call = 2;
    dispatch_.upstream_timeout = absl::Seconds(30);
    dispatch_.max_inputs_per_request = 100;
    dispatch_.budget.max_requests = 0;  // Unlimited unless a test paces.
    dispatch_.budget.discover = false;  // A test that paces keeps its limit.
    // No adaptive limit: each call hands the dispatcher
    // max_concurrent_requests_per_call chunks at once.
    dispatch_.concurrency.max = 0;
    // Jitter always takes the ceiling so delays are exact.
    ON_CALL(absl::MockUniform<double>(), Call(absl::IntervalClosed, random_, 0.0, testing::_))
        .WillByDefault(
            [](absl::IntervalClosedClosedTag, double, double ceiling) { return ceiling; });
  }

  static ArchiveCancellation Start(AssociationsArchiver& archiver,
                                   const v1::ArchiveAssociationsRequest& request,
                                   ArchiveCallContext context, AssociationsArchiver::Done done) {
    return archiver.Archive(request, std::move(context), std::move(done));
  }
  static ArchiveCancellation Start(AssociationsArchiver& archiver,
                                   const v1::ArchiveAssociationLabelsRequest& request,
                                   ArchiveCallContext context, AssociationsArchiver::Done done) {
    return archiver.ArchiveLabels(request, std::move(context), std::move(done));
  }

  // The archiver over `transport`, with what it runs on: the labels guard
  // reads through the same dispatcher.
  struct Stack {
    Stack(AssociationsArchiverTest& test, HttpTransport& transport)
        : dispatcher(test.dispatch_, transport, test.scheduler_, test.observer_, test.random_),
          labels_reader(test.options_.endpoint, dispatcher, test.scheduler_),
          unlabeled_types({}, labels_reader, test.scheduler_,
                          [&test](absl::string_view line) { test.log_.emplace_back(line); }),
          archiver(test.options_, dispatcher, test.scheduler_, test.observer_, unlabeled_types) {}

    Dispatcher dispatcher;
    DispatchedLabelsReader labels_reader;
    UnlabeledTypeCache unlabeled_types;
    AssociationsArchiver archiver;
  };

  // Runs one call (archive or labels) to its end, moving the clock to each
  // wake-up it asks for.
  template <typename Request>
  Outcome Archive(HttpTransport& transport, const Request& request,
                  absl::Duration deadline_in = absl::Minutes(5),
                  std::shared_ptr<const CallerPolicy> policy = nullptr) {
    Stack stack(*this, transport);
    std::optional<Outcome> outcome;
    Start(stack.archiver, request,
          {kToken,
           scheduler_.Now() + deadline_in,
           Lane::kInteractive,
           {"caller:test"},
           std::move(policy)},
          [&](absl::StatusOr<v1::BatchResult> result, const UpstreamSummary& s) {
            outcome = Outcome{std::move(result), s};
          });
    while (!outcome.has_value() && scheduler_.NextDue() != absl::InfiniteFuture()) {
      scheduler_.AdvanceBy(scheduler_.NextDue() - scheduler_.Now());
    }
    EXPECT_TRUE(outcome.has_value()) << "done never ran";
    return outcome.value_or(Outcome{absl::UnknownError("never finished"), {}});
  }

  // Records when the transport saw each request.
  FakeHttpTransport::Handler TimedAnswers(std::vector<absl::Time>& sent_at,
                                          FakeHttpTransport::Handler answer) {
    return [this, &sent_at, answer](const HttpRequest& request) {
      sent_at.push_back(scheduler_.Now());
      return answer(request);
    };
  }

  ArchiverOptions options_;
  DispatchOptions dispatch_;
  ManualScheduler scheduler_;
  ArchiveObserver observer_;
  testing::NiceMock<absl::MockingBitGen> random_;
  // The lines the labels guard logged.
  std::vector<std::string> log_;
};

TEST_F(AssociationsArchiverTest, SendsOneWellFormedPostAndMapsNoContent) {
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(204); });
  const auto outcome = Archive(transport, Request(2));
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.status();
  EXPECT_EQ(outcome.result->status(), v1::BatchResult::COMPLETE);
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url,
            "https://hubspot.test/crm/associations/2026-03/contacts/companies/batch/archive");
  EXPECT_THAT(requests[0].headers,
              testing::Contains(std::make_pair(std::string("Authorization"),
                                               std::string("Bearer pat-test-token"))));
  EXPECT_EQ(requests[0].body, R"({"inputs":[{"from":{"id":"1000"},"to":[{"id":"5000"}]},)"
                              R"({"from":{"id":"1001"},"to":[{"id":"5001"}]}]})");
  EXPECT_EQ(outcome.summary.requests, 1);
  EXPECT_EQ(outcome.summary.last_http_status, 204);
}

TEST_F(AssociationsArchiverTest, InvalidRequestNeverReachesHubSpot) {
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(204); });
  auto request = Request(1);
  request.mutable_inputs(0)->mutable_from_object()->set_id("x");
  const auto outcome = Archive(transport, request);
  EXPECT_EQ(outcome.result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(transport.requests().empty());
}

TEST_F(AssociationsArchiverTest, DeadlineBoundsTheAttemptTimeout) {
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(204); });
  Archive(transport, Request(1), absl::Seconds(2));
  EXPECT_EQ(transport.requests()[0].timeout, absl::Seconds(2));
  Archive(transport, Request(1), absl::Hours(2));
  EXPECT_EQ(transport.requests()[1].timeout, absl::Seconds(30));
}

TEST_F(AssociationsArchiverTest, RetriesTransientFailuresWithExactBackoff) {
  std::atomic<int> calls{0};
  std::vector<absl::Time> sent_at;
  FakeHttpTransport transport(
      TimedAnswers(sent_at, [&](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
        switch (calls++) {
          case 0:
            return FakeHttpTransport::Answer(503, R"({"message":"busy"})");
          case 1:
            return absl::UnavailableError("Connection reset by peer");
          case 2:
            return FakeHttpTransport::Answer(429, R"({"policyName":"TEN_SECONDLY_ROLLING"})",
                                             {{"retry-after", "3"}});
          default:
            return FakeHttpTransport::Answer(204);
        }
      }));
  dispatch_.retry.max_attempts = 4;
  dispatch_.budget.max_requests = 190;
  const auto outcome = Archive(transport, Request(1));
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.status();
  // Backoff 200 ms, then 400 ms; the 429's Retry-After pauses the token 3 s.
  ASSERT_EQ(sent_at.size(), 4u);
  EXPECT_EQ(sent_at[1] - sent_at[0], absl::Milliseconds(200));
  EXPECT_EQ(sent_at[2] - sent_at[1], absl::Milliseconds(400));
  EXPECT_EQ(sent_at[3] - sent_at[2], absl::Seconds(3));
  EXPECT_EQ(outcome.summary.requests, 4);
  EXPECT_EQ(outcome.summary.retries, 3);
}

TEST_F(AssociationsArchiverTest, PermanentFailuresAreNotRetried) {
  for (int status : {400, 401, 403, 404, 409}) {
    FakeHttpTransport transport([&](const HttpRequest&) {
      return FakeHttpTransport::Answer(status, R"({"message":"no","correlationId":"c-7"})");
    });
    const auto outcome = Archive(transport, Request(1));
    EXPECT_FALSE(outcome.result.ok());
    EXPECT_EQ(transport.requests().size(), 1u) << status;
    EXPECT_THAT(std::string(outcome.result.status().message()), HasSubstr("c-7"));
  }
}

TEST_F(AssociationsArchiverTest, DailyLimitIsNotRetried) {
  FakeHttpTransport transport([](const HttpRequest&) {
    return FakeHttpTransport::Answer(
        429, R"({"policyName":"DAILY","message":"You have reached your daily limit."})");
  });
  const auto outcome = Archive(transport, Request(1));
  EXPECT_EQ(outcome.result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(transport.requests().size(), 1u);
}

// Runs `body` on a new thread whose stack is `bytes` long, and waits for it.
void RunOnStackOf(size_t bytes, std::function<void()> body) {
  pthread_attr_t attributes;
  ASSERT_EQ(pthread_attr_init(&attributes), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attributes, bytes), 0);
  pthread_t thread;
  ASSERT_EQ(pthread_create(
                &thread, &attributes,
                [](void* run) -> void* {
                  (*static_cast<std::function<void()>*>(run))();
                  return nullptr;
                },
                &body),
            0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attributes);
}

// A DAILY 429 on a call of 10,000 chunks: each failed chunk makes the call
// hand over its next one, which fails at once. Told one after another, the
// 10,000 fit a 256 KiB stack; told one inside another, they would not.
TEST_F(AssociationsArchiverTest, DailyLimitOverTenThousandChunksRunsOnASmallStack) {
  dispatch_.max_inputs_per_request = 1;
  options_.max_concurrent_requests_per_call = 4;
  FakeHttpTransport transport([](const HttpRequest&) {
    return FakeHttpTransport::Answer(429, R"({"policyName":"DAILY"})");
  });
  const v1::ArchiveAssociationsRequest request = Request(10000);
  std::optional<Outcome> outcome;
  RunOnStackOf(256 << 10, [&] { outcome = Archive(transport, request); });
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(outcome->summary.requests, 1);
}

TEST_F(AssociationsArchiverTest, GivesUpAfterMaxAttemptsAndCountsThem) {
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(502); });
  dispatch_.retry.max_attempts = 3;
  const auto outcome = Archive(transport, Request(1));
  EXPECT_EQ(outcome.result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(transport.requests().size(), 3u);
  EXPECT_EQ(outcome.summary.requests, 3);
  EXPECT_EQ(outcome.summary.retries, 2);
}

TEST_F(AssociationsArchiverTest, NoRetryStartsWhenTheDeadlineCannotCoverTheWait) {
  FakeHttpTransport transport([](const HttpRequest&) {
    return FakeHttpTransport::Answer(429, R"({"policyName":"TEN_SECONDLY_ROLLING"})",
                                     {{"retry-after", "10"}});
  });
  const auto outcome = Archive(transport, Request(1), absl::Seconds(5));
  // The 429 paused the token past the deadline: the retry never went out,
  // and the call failed at once saying how long the pause is.
  EXPECT_EQ(outcome.result.status().code(), absl::StatusCode::kResourceExhausted);
  const auto error = GetUpstreamError(outcome.result.status());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->retry_after().seconds(), 10);
  EXPECT_EQ(transport.requests().size(), 1u);
}

TEST_F(AssociationsArchiverTest, LargeCallIsChunkedAndEveryInputAccountedFor) {
  // The chunk holding from id 1150 fails for good; the others succeed.
  FakeHttpTransport transport([](const HttpRequest& request) {
    return absl::StrContains(request.body, R"("id":"1150")")
               ? FakeHttpTransport::Answer(500, R"({"correlationId":"bad-chunk"})")
               : FakeHttpTransport::Answer(204);
  });
  dispatch_.retry.max_attempts = 2;
  const auto outcome = Archive(transport, Request(250));
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.status();
  EXPECT_EQ(transport.requests().size(), 4u);  // 3 chunks, one retried once.
  ASSERT_EQ(outcome.result->errors_size(), 1);
  EXPECT_EQ(outcome.result->num_errors(), 1);
  const auto& context = outcome.result->errors(0).context();
  ASSERT_EQ(context.at("fromIds").values_size(), 100);
  EXPECT_EQ(context.at("fromIds").values(0), "1100");
  EXPECT_EQ(context.at("fromIds").values(99), "1199");
  EXPECT_THAT(context.at("correlationId").values(), ElementsAre("bad-chunk"));
  EXPECT_THAT(context.at("attempts").values(), ElementsAre("2"));
}

TEST_F(AssociationsArchiverTest, WholeCallFailsOnlyWhenNoChunkSucceeded) {
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(403); });
  const auto outcome = Archive(transport, Request(250));
  EXPECT_EQ(outcome.result.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(transport.requests().size(), 3u);
}

TEST_F(AssociationsArchiverTest, LegacyVersionUsesTheV4Path) {
  options_.endpoint = HubSpotEndpoint::Create("https://hubspot.test", "v4").value();
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(204); });
  Archive(transport, Request(1));
  EXPECT_EQ(transport.requests()[0].url,
            "https://hubspot.test/crm/v4/associations/contacts/companies/batch/archive");
}

TEST_F(AssociationsArchiverTest, LabelsCallPostsToTheLabelsPathWithItsBody) {
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(204); });
  const auto outcome = Archive(transport, LabelsRequest(1));
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.status();
  EXPECT_EQ(outcome.result->status(), v1::BatchResult::COMPLETE);
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(
      requests[0].url,
      "https://hubspot.test/crm/associations/2026-03/contacts/companies/batch/labels/archive");
  EXPECT_THAT(requests[0].headers,
              testing::Contains(std::make_pair(std::string("Authorization"),
                                               std::string("Bearer pat-test-token"))));
  EXPECT_EQ(requests[0].body,
            R"({"inputs":[{"from":{"id":"1000"},"to":{"id":"5000"},"types":[)"
            R"({"associationCategory":"USER_DEFINED","associationTypeId":36}]}]})");
}

TEST_F(AssociationsArchiverTest, ThePolicyDeniesCallsAndPairsBeforeAnyHttp) {
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(204); });
  auto policy = std::make_shared<CallerPolicy>();
  policy->calls = {"archive"};
  policy->object_types = {"contacts/deals"};
  const auto pair = Archive(transport, Request(1), absl::Minutes(5), policy);
  EXPECT_EQ(pair.result.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(pair.result.status().message(), HasSubstr("from contacts to companies"));
  const auto labels = Archive(transport, LabelsRequest(1), absl::Minutes(5), policy);
  EXPECT_EQ(labels.result.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(labels.result.status().message(), HasSubstr("labels call"));
  EXPECT_TRUE(transport.requests().empty());
  // An invalid request is told what is wrong with it first.
  auto invalid = Request(1);
  invalid.mutable_inputs(0)->mutable_from_object()->set_id("x");
  EXPECT_EQ(Archive(transport, invalid, absl::Minutes(5), policy).result.status().code(),
            absl::StatusCode::kInvalidArgument);
  policy->object_types = {"contacts/*"};
  EXPECT_TRUE(Archive(transport, Request(1), absl::Minutes(5), policy).result.ok());
  EXPECT_EQ(transport.requests().size(), 1u);
}

TEST_F(AssociationsArchiverTest, InvalidLabelsRequestNeverReachesHubSpot) {
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(204); });
  auto request = LabelsRequest(2);
  request.mutable_inputs(1)->mutable_types(0)->set_category(v1::ASSOCIATION_CATEGORY_UNSPECIFIED);
  const auto outcome = Archive(transport, request);
  EXPECT_EQ(outcome.result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(outcome.result.status().message(), HasSubstr("inputs[1].types[0].category"));
  EXPECT_TRUE(transport.requests().empty());
}

TEST_F(AssociationsArchiverTest, LabelsCallIsChunkedAndPerInputErrorsAreMirrored) {
  // The chunk holding 1150 answers 207 naming that input; the others 204.
  FakeHttpTransport transport([](const HttpRequest& request) {
    if (!absl::StrContains(request.body, R"("id":"1150")")) return FakeHttpTransport::Answer(204);
    return FakeHttpTransport::Answer(207, R"({"status":"COMPLETE","results":[],"numErrors":1,
                 "startedAt":"2026-03-01T12:00:00Z","completedAt":"2026-03-01T12:00:01Z",
                 "errors":[{"status":"error","category":"OBJECT_NOT_FOUND",
                            "message":"not associated",
                            "context":{"fromIds":["1150"],"toIds":["5150"]}}]})");
  });
  const auto request = LabelsRequest(250);
  const auto outcome = Archive(transport, request);
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.status();
  EXPECT_EQ(transport.requests().size(), 3u);
  for (const HttpRequest& sent : transport.requests()) {
    EXPECT_TRUE(absl::EndsWith(sent.url, "/batch/labels/archive")) << sent.url;
  }
  ASSERT_EQ(outcome.result->errors_size(), 1);
  EXPECT_EQ(outcome.result->num_errors(), 1);
  EXPECT_EQ(outcome.result->errors(0).category(), "OBJECT_NOT_FOUND");
  EXPECT_THAT(outcome.result->errors(0).context().at("fromIds").values(), ElementsAre("1150"));
  EXPECT_EQ(FailedInputs(request, outcome.result), 1);
}

TEST_F(AssociationsArchiverTest, FailedLabelsChunkNamesItsInputsToResend) {
  dispatch_.max_inputs_per_request = 2;
  options_.max_concurrent_requests_per_call = 1;  // One chunk per request.
  FakeHttpTransport transport([](const HttpRequest& request) {
    return absl::StrContains(request.body, R"("associationTypeId":40)")
               ? FakeHttpTransport::Answer(400, R"({"category":"VALIDATION_ERROR"})")
               : FakeHttpTransport::Answer(204);
  });
  // Five types on one input at two per slice and two slices per request:
  // {36,37}{38,39} then {40}, which fails.
  const auto outcome = Archive(transport, LabelsRequest(1, 5));
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.status();
  EXPECT_EQ(transport.requests().size(), 2u);
  ASSERT_EQ(outcome.result->errors_size(), 1);
  EXPECT_THAT(outcome.result->errors(0).context().at("inputs").values(),
              ElementsAre("1000:5000/USER_DEFINED:40"));
}

TEST_F(AssociationsArchiverTest, NeverHasMoreChunksOutstandingThanTheCallsLimit) {
  QueuedHttpTransport transport;  // Holds every request until answered below.
  Stack stack(*this, transport);
  AssociationsArchiver& archiver = stack.archiver;
  std::optional<absl::StatusOr<v1::BatchResult>> result;
  const auto request = Request(450);  // 5 chunks, at most 2 in flight.
  archiver.Archive(
      request, {kToken, scheduler_.Now() + absl::Minutes(1), Lane::kInteractive},
      [&](absl::StatusOr<v1::BatchResult> r, const UpstreamSummary&) { result = std::move(r); });
  ASSERT_EQ(transport.pending_count(), 2);
  for (int answered = 1; answered <= 3; ++answered) {
    ASSERT_TRUE(transport.AnswerNext(QueuedHttpTransport::Response(204)));
    // The answer made room for exactly one more chunk, the next in order.
    EXPECT_EQ(transport.pending_count(), 2);
    EXPECT_EQ(transport.sent(), 2 + answered);
    EXPECT_THAT(transport.pending().back().body,
                HasSubstr(absl::StrCat(R"({"from":{"id":")", 1000 + 100 * (answered + 1))));
  }
  EXPECT_EQ(transport.AnswerAll(QueuedHttpTransport::Response(204)), 2);
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok()) << result->status();
  EXPECT_EQ(result->value().errors_size(), 0);
  EXPECT_EQ(transport.sent(), 5);
  EXPECT_EQ(transport.max_outstanding(), 2);
}

TEST_F(AssociationsArchiverTest, ChunksArePacedByTheRateBudget) {
  dispatch_.budget.max_requests = 2;
  std::vector<absl::Time> sent_at;
  FakeHttpTransport transport(
      TimedAnswers(sent_at, [](const HttpRequest&) { return FakeHttpTransport::Answer(204); }));
  const auto outcome = Archive(transport, Request(350), absl::Minutes(1));  // 4 chunks.
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.status();
  ASSERT_EQ(sent_at.size(), 4u);
  // Two at once; the third once the first has left the window (its 100 ms
  // bucket, kept 210 ms longer), the fourth with the second.
  const absl::Time start = sent_at[0];
  EXPECT_EQ(sent_at[1], start);
  EXPECT_EQ(sent_at[2], start + absl::Milliseconds(10310));
  EXPECT_EQ(sent_at[3], start + absl::Milliseconds(10310));
}

TEST_F(AssociationsArchiverTest, NoRoomInTheBudgetBeforeTheDeadlineFailsAtOnce) {
  dispatch_.budget.max_requests = 1;
  std::vector<absl::Time> sent_at;
  FakeHttpTransport transport(
      TimedAnswers(sent_at, [](const HttpRequest&) { return FakeHttpTransport::Answer(204); }));
  Stack stack(*this, transport);
  AssociationsArchiver& archiver = stack.archiver;
  const auto request = Request(100);
  std::vector<absl::StatusOr<v1::BatchResult>> results;
  std::vector<absl::Time> finished_at;
  for (int i = 0; i < 2; ++i) {
    archiver.Archive(request, {kToken, scheduler_.Now() + absl::Seconds(5), Lane::kInteractive},
                     [&](absl::StatusOr<v1::BatchResult> r, const UpstreamSummary&) {
                       results.push_back(std::move(r));
                       finished_at.push_back(scheduler_.Now());
                     });
  }
  scheduler_.AdvanceBy(absl::Seconds(30));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok());
  // The budget's next slot is 10 s away, past the 5 s deadline: at once.
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(finished_at[1], sent_at[0]);
  EXPECT_EQ(sent_at.size(), 1u);
}

TEST_F(AssociationsArchiverTest, CancelledCallSendsNothingMoreAndAccountsForEveryInput) {
  dispatch_.budget.max_requests = 1;
  options_.max_concurrent_requests_per_call = 3;
  QueuedHttpTransport transport;
  Stack stack(*this, transport);
  AssociationsArchiver& archiver = stack.archiver;
  const auto request = Request(450);  // 5 chunks: 1 sent, 2 queued, 2 not yet handed over.
  std::optional<absl::StatusOr<v1::BatchResult>> result;
  const ArchiveCancellation cancellation = archiver.Archive(
      request, {kToken, absl::InfiniteFuture(), Lane::kInteractive},
      [&](absl::StatusOr<v1::BatchResult> r, const UpstreamSummary&) { result = std::move(r); });
  ASSERT_EQ(transport.pending_count(), 1);
  cancellation.Cancel();
  EXPECT_FALSE(result.has_value());  // The chunk already sent still counts.
  scheduler_.AdvanceBy(absl::Minutes(1));
  EXPECT_EQ(transport.sent(), 1);
  transport.AnswerNext(QueuedHttpTransport::Response(204));
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok());
  // The four chunks never sent are named as failed, with CANCELLED.
  ASSERT_EQ(result->value().errors_size(), 4);
  EXPECT_THAT(result->value().errors(0).context().at("grpcCode").values(),
              ElementsAre("CANCELLED"));
  cancellation.Cancel();  // After the end: a no-op.
}

// HubSpot's association-labels read for contacts→companies: 279 is the
// unlabeled type, 1 ("Primary") a HUBSPOT_DEFINED label.
constexpr char kContactCompanyTypes[] =
    R"({"results":[{"category":"HUBSPOT_DEFINED","typeId":279,"label":null},)"
    R"({"category":"HUBSPOT_DEFINED","typeId":1,"label":"Primary"},)"
    R"({"category":"USER_DEFINED","typeId":36,"label":"Billing contact"}]})";

// Answers the labels read with kContactCompanyTypes and every archive with 204.
absl::StatusOr<HttpResponse> LabelsReadThenNoContent(const HttpRequest& request) {
  if (request.method == "GET") return FakeHttpTransport::Answer(200, kContactCompanyTypes);
  return FakeHttpTransport::Answer(204);
}

// LabelsRequest(2), whose second input also lists HUBSPOT_DEFINED `type_id`.
v1::ArchiveAssociationLabelsRequest ListingHubSpotType(int type_id) {
  v1::ArchiveAssociationLabelsRequest request = LabelsRequest(2);
  v1::AssociationType* type = request.mutable_inputs(1)->add_types();
  type->set_category(v1::HUBSPOT_DEFINED);
  type->set_type_id(type_id);
  return request;
}

TEST_F(AssociationsArchiverTest, LabelsCallListingTheUnlabeledTypeIsRefusedBeforeAnyArchive) {
  FakeHttpTransport transport(LabelsReadThenNoContent);
  const auto outcome = Archive(transport, ListingHubSpotType(279));
  EXPECT_EQ(outcome.result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(outcome.result.status().message(),
              HasSubstr("inputs[1] (from 1001 to 5001) lists HUBSPOT_DEFINED 279: the unlabeled "
                        "association type of contacts to companies"));
  EXPECT_THAT(outcome.result.status().message(), HasSubstr("remove_association_if_unlabeled"));
  // Only the read went out.
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(transport.requests()[0].method, "GET");
  EXPECT_EQ(transport.requests()[0].url,
            "https://hubspot.test/crm/associations/2026-03/contacts/companies/labels");
  EXPECT_THAT(log_, testing::IsEmpty());
}

TEST_F(AssociationsArchiverTest, ALabeledHubSpotDefinedTypeIsRemovedAfterTheRead) {
  FakeHttpTransport transport(LabelsReadThenNoContent);
  const auto outcome = Archive(transport, ListingHubSpotType(1));
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.status();
  ASSERT_EQ(transport.requests().size(), 2u);
  EXPECT_EQ(transport.requests()[0].method, "GET");
  EXPECT_EQ(transport.requests()[1].method, "POST");
  EXPECT_THAT(transport.requests()[1].body,
              HasSubstr(R"({"associationCategory":"HUBSPOT_DEFINED","associationTypeId":1})"));
  // The read is not one of the call's requests.
  EXPECT_EQ(outcome.summary.requests, 1);
}

TEST_F(AssociationsArchiverTest, OnlyCallsListingAHubSpotDefinedTypeSpendARead) {
  FakeHttpTransport transport(LabelsReadThenNoContent);
  ASSERT_TRUE(Archive(transport, LabelsRequest(2)).result.ok());
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(transport.requests()[0].method, "POST");
}

TEST_F(AssociationsArchiverTest, OptingInSendsTheUnlabeledTypeWithoutReading) {
  FakeHttpTransport transport(LabelsReadThenNoContent);
  v1::ArchiveAssociationLabelsRequest request = ListingHubSpotType(279);
  request.set_remove_association_if_unlabeled(true);
  const auto outcome = Archive(transport, request);
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.status();
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(transport.requests()[0].method, "POST");
  EXPECT_THAT(transport.requests()[0].body,
              HasSubstr(R"({"associationCategory":"HUBSPOT_DEFINED","associationTypeId":279})"));
}

TEST_F(AssociationsArchiverTest, AFailedReadFailsOpenAndIsLogged) {
  FakeHttpTransport transport([](const HttpRequest& request) {
    if (request.method == "GET") {
      return FakeHttpTransport::Answer(403, R"({"category":"MISSING_SCOPES","message":"no"})");
    }
    return FakeHttpTransport::Answer(204);
  });
  const auto outcome = Archive(transport, ListingHubSpotType(279));
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.status();
  ASSERT_EQ(transport.requests().size(), 2u);
  EXPECT_EQ(transport.requests()[1].method, "POST");
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_THAT(log_[0], HasSubstr("cannot read the association types of contacts to companies "
                                 "(PERMISSION_DENIED"));
  EXPECT_THAT(log_[0], testing::Not(HasSubstr(kToken)));
}

TEST_F(AssociationsArchiverTest, ACallWaitingForItsReadCanBeCancelledAndSendsNothing) {
  QueuedHttpTransport transport;
  Stack stack(*this, transport);
  const auto request = ListingHubSpotType(1);
  std::optional<absl::StatusOr<v1::BatchResult>> result;
  const ArchiveCancellation cancellation = stack.archiver.ArchiveLabels(
      request, {kToken, absl::InfiniteFuture(), Lane::kInteractive},
      [&](absl::StatusOr<v1::BatchResult> r, const UpstreamSummary&) { result = std::move(r); });
  ASSERT_EQ(transport.pending_count(), 1);  // The read.
  cancellation.Cancel();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kCancelled);
  HttpResponse types = QueuedHttpTransport::Response(200);
  types.body = kContactCompanyTypes;
  ASSERT_TRUE(transport.AnswerNext(types));
  EXPECT_EQ(transport.sent(), 1);
}

TEST_F(AssociationsArchiverTest, ACallWaitingForItsReadEndsAtItsDeadline) {
  QueuedHttpTransport transport;  // The read is never answered.
  Stack stack(*this, transport);
  const auto request = ListingHubSpotType(1);
  std::optional<absl::StatusOr<v1::BatchResult>> result;
  stack.archiver.ArchiveLabels(
      request, {kToken, scheduler_.Now() + absl::Seconds(2), Lane::kInteractive},
      [&](absl::StatusOr<v1::BatchResult> r, const UpstreamSummary&) { result = std::move(r); });
  scheduler_.AdvanceBy(absl::Seconds(2) - absl::Milliseconds(1));
  EXPECT_FALSE(result.has_value());
  scheduler_.AdvanceBy(absl::Milliseconds(1));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(transport.sent(), 1);
  transport.Shutdown();
}

}  // namespace
}  // namespace hubspot_gateway
