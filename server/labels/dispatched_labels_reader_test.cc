#include "server/labels/dispatched_labels_reader.h"

#include <optional>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_http_transport.h"
#include "tests/fakes/manual_scheduler.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kToken[] = "pat-reader-test-token";
constexpr char kLabels[] =
    R"({"results":[{"category":"HUBSPOT_DEFINED","typeId":279,"label":null},)"
    R"({"category":"USER_DEFINED","typeId":36,"label":"Billing contact"}]})";

class DispatchedLabelsReaderTest : public testing::Test {
 protected:
  DispatchedLabelsReaderTest()
      : endpoint_(HubSpotEndpoint::Create("https://hubspot.test", "2026-03").value()) {
    dispatch_.budget.max_requests = 2;
    dispatch_.budget.discover = false;
    dispatch_.concurrency.max = 0;
  }

  // Reads contacts→companies (or `to`) with `deadline_in` to go, moving the
  // clock until it answers.
  absl::StatusOr<UnlabeledTypes> Read(HttpTransport& transport,
                                      absl::Duration deadline_in = absl::Seconds(10),
                                      const char* to = "companies") {
    if (dispatcher_ == nullptr) {
      dispatcher_ =
          std::make_unique<Dispatcher>(dispatch_, transport, scheduler_, observer_, random_);
    }
    DispatchedLabelsReader reader(endpoint_, *dispatcher_, scheduler_);
    std::optional<absl::StatusOr<UnlabeledTypes>> answer;
    reader.Read({kToken, Lane::kInteractive, {"caller:test"}}, "contacts", to,
                scheduler_.Now() + deadline_in,
                [&answer](absl::StatusOr<UnlabeledTypes> read) { answer = std::move(read); });
    while (!answer.has_value() && scheduler_.NextDue() != absl::InfiniteFuture()) {
      scheduler_.AdvanceBy(scheduler_.NextDue() - scheduler_.Now());
    }
    EXPECT_TRUE(answer.has_value()) << "the read never answered";
    return answer.value_or(absl::UnknownError("never answered"));
  }

  const HubSpotEndpoint endpoint_;
  DispatchOptions dispatch_;
  ManualScheduler scheduler_;
  ArchiveObserver observer_;
  absl::BitGen random_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatchedLabelsReaderTest, GetsThePairsLabelsWithTheTokenAndReadsTheUnlabeledTypes) {
  FakeHttpTransport transport(
      [](const HttpRequest&) { return FakeHttpTransport::Answer(200, kLabels); });
  const absl::StatusOr<UnlabeledTypes> read = Read(transport);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_THAT(*read, UnorderedElementsAre(279));
  ASSERT_EQ(transport.requests().size(), 1u);
  const HttpRequest sent = transport.requests()[0];
  EXPECT_EQ(sent.method, "GET");
  EXPECT_EQ(sent.url, "https://hubspot.test/crm/associations/2026-03/contacts/companies/labels");
  EXPECT_EQ(sent.body, "");
  bool authorized = false;
  for (const auto& [name, value] : sent.headers) {
    EXPECT_NE(name, "Content-Type");
    authorized |= name == "Authorization" && value == absl::StrCat("Bearer ", kToken);
  }
  EXPECT_TRUE(authorized);
}

TEST_F(DispatchedLabelsReaderTest, IsRetriedLikeAnyRequestOnA5xx) {
  int answered = 0;
  FakeHttpTransport transport([&answered](const HttpRequest&) {
    return ++answered == 1 ? FakeHttpTransport::Answer(503, R"({"message":"try later"})")
                           : FakeHttpTransport::Answer(200, kLabels);
  });
  const absl::StatusOr<UnlabeledTypes> read = Read(transport);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(transport.requests().size(), 2u);
}

TEST_F(DispatchedLabelsReaderTest, SpendsTheTokensBudgetAndFailsAtOnceWhenItHasNoRoomInTime) {
  FakeHttpTransport transport(
      [](const HttpRequest&) { return FakeHttpTransport::Answer(200, kLabels); });
  ASSERT_TRUE(Read(transport).ok());
  ASSERT_TRUE(Read(transport, absl::Seconds(10), "deals").ok());
  // The window (2 per 10 s) is spent by the two reads: a third cannot go
  // before its deadline.
  const absl::Time asked = scheduler_.Now();
  const absl::StatusOr<UnlabeledTypes> third = Read(transport, absl::Seconds(5), "tickets");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(third.status().message(), HasSubstr("rate limit"));
  EXPECT_EQ(scheduler_.Now(), asked);
  EXPECT_EQ(transport.requests().size(), 2u);
}

TEST_F(DispatchedLabelsReaderTest, AnAnswerThatIsNotAListOfTypesIsInternal) {
  FakeHttpTransport transport([](const HttpRequest&) {
    return FakeHttpTransport::Answer(200, R"({"status":"COMPLETE"})");
  });
  EXPECT_EQ(Read(transport).status().code(), absl::StatusCode::kInternal);
}

TEST_F(DispatchedLabelsReaderTest, APermanentRejectionIsItsStatus) {
  FakeHttpTransport transport([](const HttpRequest&) {
    return FakeHttpTransport::Answer(403, R"({"category":"MISSING_SCOPES","message":"no"})");
  });
  EXPECT_EQ(Read(transport).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(transport.requests().size(), 1u);
}

}  // namespace
}  // namespace hubspot_gateway
