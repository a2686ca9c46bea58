#include "server/dispatch/associations_archiver.h"

#include <atomic>
#include <optional>

#include "absl/random/mock_distributions.h"
#include "absl/random/mocking_bit_gen.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/hubspot/upstream_error_status.h"
#include "tests/fakes/fake_http_transport.h"
#include "tests/fakes/fake_scheduler.h"
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

struct Outcome {
  absl::StatusOr<v1::BatchResult> result;
  UpstreamSummary summary;
};

class AssociationsArchiverTest : public testing::Test {
 protected:
  AssociationsArchiverTest() {
    options_.endpoint = HubSpotEndpoint::Create("https://hubspot.test", "2026-03").value();
    options_.upstream_timeout = absl::Seconds(30);
    options_.max_inputs_per_request = 100;
    options_.max_concurrent_requests_per_call = 2;
    // Jitter always takes the ceiling so delays are exact.
    ON_CALL(absl::MockUniform<double>(), Call(absl::IntervalClosed, random_, 0.0, testing::_))
        .WillByDefault([](absl::IntervalClosedClosedTag, double, double ceiling) {
          return ceiling;
        });
  }

  Outcome Archive(FakeHttpTransport& transport, const v1::ArchiveAssociationsRequest& request,
                  absl::Duration deadline_in = absl::Minutes(5)) {
    AssociationsArchiver archiver(options_, transport, scheduler_, limiter_, observer_, random_);
    std::optional<Outcome> outcome;
    archiver.Archive(request, kToken, scheduler_.Now() + deadline_in,
                     [&](absl::StatusOr<v1::BatchResult> result, const UpstreamSummary& s) {
                       outcome = Outcome{std::move(result), s};
                     });
    EXPECT_TRUE(outcome.has_value()) << "done never ran";
    return *outcome;
  }

  ArchiverOptions options_;
  FakeScheduler scheduler_;
  RateLimiter limiter_{RateBudget{0, absl::Seconds(10)}};
  ArchiveObserver observer_;
  testing::NiceMock<absl::MockingBitGen> random_;
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
  EXPECT_EQ(requests[0].body,
            R"({"inputs":[{"from":{"id":"1000"},"to":[{"id":"5000"}]},)"
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
  FakeHttpTransport transport([&](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    switch (calls++) {
      case 0:
        return FakeHttpTransport::Answer(503, R"({"message":"busy"})");
      case 1:
        return absl::UnavailableError("Connection reset by peer");
      case 2:
        return FakeHttpTransport::Answer(
            429, R"({"policyName":"TEN_SECONDLY_ROLLING"})", {{"retry-after", "3"}});
      default:
        return FakeHttpTransport::Answer(204);
    }
  });
  options_.retry.max_attempts = 4;
  const auto outcome = Archive(transport, Request(1));
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.status();
  EXPECT_THAT(scheduler_.delays(),
              ElementsAre(absl::Milliseconds(200), absl::Milliseconds(400), absl::Seconds(3)));
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

TEST_F(AssociationsArchiverTest, GivesUpAfterMaxAttemptsAndCountsThem) {
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(502); });
  options_.retry.max_attempts = 3;
  const auto outcome = Archive(transport, Request(1));
  EXPECT_EQ(outcome.result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(transport.requests().size(), 3u);
  EXPECT_EQ(GetUpstreamError(outcome.result.status())->attempts(), 3);
}

TEST_F(AssociationsArchiverTest, NoRetryStartsWhenTheDeadlineCannotCoverTheWait) {
  FakeHttpTransport transport([](const HttpRequest&) {
    return FakeHttpTransport::Answer(429, R"({"policyName":"TEN_SECONDLY_ROLLING"})",
                                     {{"retry-after", "10"}});
  });
  const auto outcome = Archive(transport, Request(1), absl::Seconds(5));
  EXPECT_EQ(outcome.result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(transport.requests().size(), 1u);
  EXPECT_TRUE(scheduler_.delays().empty());
}

TEST_F(AssociationsArchiverTest, LargeCallIsChunkedAndEveryInputAccountedFor) {
  // The chunk holding from id 1150 fails for good; the others succeed.
  FakeHttpTransport transport([](const HttpRequest& request) {
    return absl::StrContains(request.body, R"("id":"1150")")
               ? FakeHttpTransport::Answer(500, R"({"correlationId":"bad-chunk"})")
               : FakeHttpTransport::Answer(204);
  });
  options_.retry.max_attempts = 2;
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

}  // namespace
}  // namespace hubspot_gateway

namespace hubspot_gateway {
namespace {

TEST_F(AssociationsArchiverTest, ChunksArePacedByTheRateBudget) {
  RateLimiter paced(RateBudget{2, absl::Seconds(10)});
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(204); });
  AssociationsArchiver archiver(options_, transport, scheduler_, paced, observer_, random_);
  std::optional<absl::StatusOr<v1::BatchResult>> result;
  const auto request = Request(350);  // 4 chunks, 2 allowed per 10 s.
  archiver.Archive(request, kToken, scheduler_.Now() + absl::Minutes(1),
                   [&](absl::StatusOr<v1::BatchResult> r, const UpstreamSummary&) {
                     result = std::move(r);
                   });
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok()) << result->status();
  EXPECT_EQ(transport.requests().size(), 4u);
  // The inline fake answers each chunk before the next is sent, so only the
  // waits show: the first two chunks go at once, the third waits one widened
  // window (10 s + 2% + 10 ms), and the fourth then finds room without waiting.
  EXPECT_THAT(scheduler_.delays(), ElementsAre(absl::Milliseconds(10210)));
}

TEST_F(AssociationsArchiverTest, NeverHasMoreChunksOutstandingThanTheCallsLimit) {
  QueuedHttpTransport transport;  // Holds every request until answered below.
  AssociationsArchiver archiver(options_, transport, scheduler_, limiter_, observer_, random_);
  std::optional<absl::StatusOr<v1::BatchResult>> result;
  const auto request = Request(450);  // 5 chunks, at most 2 in flight.
  archiver.Archive(request, kToken, scheduler_.Now() + absl::Minutes(1),
                   [&](absl::StatusOr<v1::BatchResult> r, const UpstreamSummary&) {
                     result = std::move(r);
                   });
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

TEST_F(AssociationsArchiverTest, NoRoomInTheBudgetBeforeTheDeadlineIsDeadlineExceeded) {
  RateLimiter paced(RateBudget{1, absl::Seconds(10)});
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(204); });
  AssociationsArchiver archiver(options_, transport, scheduler_, paced, observer_, random_);
  const auto request = Request(1);
  int finished = 0;
  for (int i = 0; i < 2; ++i) {
    archiver.Archive(request, kToken, scheduler_.Now() + absl::Seconds(5),
                     [&](absl::StatusOr<v1::BatchResult> r, const UpstreamSummary&) {
                       EXPECT_EQ(r.ok(), i == 0);
                       if (i == 1) EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
                       ++finished;
                     });
  }
  EXPECT_EQ(finished, 2);
  EXPECT_EQ(transport.requests().size(), 1u);
}

}  // namespace
}  // namespace hubspot_gateway
