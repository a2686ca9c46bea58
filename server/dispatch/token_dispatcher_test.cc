#include "server/dispatch/token_dispatcher.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/budget/token_budget.h"
#include "server/common/digest.h"
#include "server/dispatch/dispatcher.h"
#include "server/hubspot/batch_merge.h"
#include "server/hubspot/upstream_error_status.h"
#include "tests/fakes/fake_http_transport.h"
#include "tests/fakes/manual_scheduler.h"
#include "tests/fakes/queued_http_transport.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kUrl[] =
    "https://hubspot.test/crm/associations/2026-03/contacts/companies/"
    "batch/archive";
constexpr char kOtherUrl[] =
    "https://hubspot.test/crm/associations/2026-03/deals/companies/"
    "batch/archive";

// A call as the dispatcher sees it: records what became of its chunks.
class RecordingOwner final : public ChunkOwner {
 public:
  void OnAttempt(const UpstreamAnswer&, bool will_retry) override {
    absl::MutexLock lock(&mu_);
    ++attempts_;
    if (will_retry) ++retries_;
  }
  void OnChunkDone(size_t index, absl::StatusOr<v1::BatchResult> outcome) override {
    absl::MutexLock lock(&mu_);
    outcomes_.emplace(index, std::move(outcome));
  }
  absl::Status Stopped() const override {
    absl::MutexLock lock(&mu_);
    return stopped_;
  }
  void OnWaiting() override {}
  void Stop(absl::Status why) {
    absl::MutexLock lock(&mu_);
    stopped_ = std::move(why);
  }
  std::map<size_t, absl::StatusOr<v1::BatchResult>> outcomes() {
    absl::MutexLock lock(&mu_);
    return outcomes_;
  }
  int attempts() {
    absl::MutexLock lock(&mu_);
    return attempts_;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<size_t, absl::StatusOr<v1::BatchResult>> outcomes_ ABSL_GUARDED_BY(mu_);
  absl::Status stopped_ ABSL_GUARDED_BY(mu_);
  int attempts_ ABSL_GUARDED_BY(mu_) = 0;
  int retries_ ABSL_GUARDED_BY(mu_) = 0;
};

class RecordingObserver final : public ArchiveObserver {
 public:
  void OnUpstreamRequest(int calls, int inputs) override {
    absl::MutexLock lock(&mu_);
    calls_per_request_.push_back(calls);
    inputs_per_request_.push_back(inputs);
  }
  void OnLearnedLimit(absl::string_view token_fingerprint, int requests,
                      absl::Duration interval) override {
    absl::MutexLock lock(&mu_);
    learned_.push_back(requests);
    learned_by_.emplace_back(token_fingerprint);
    learned_interval_ = interval;
  }
  void OnUpstreamAnswer(absl::string_view call, int http_status, AnswerOutcome outcome,
                        absl::Duration latency) override {
    absl::MutexLock lock(&mu_);
    answers_.push_back(absl::StrCat(call, " ", http_status, " ", AnswerOutcomeName(outcome), " ",
                                    absl::FormatDuration(latency)));
  }
  std::vector<std::string> learned_by() {
    absl::MutexLock lock(&mu_);
    return learned_by_;
  }
  absl::Duration learned_interval() {
    absl::MutexLock lock(&mu_);
    return learned_interval_;
  }
  std::vector<std::string> answers() {
    absl::MutexLock lock(&mu_);
    return answers_;
  }
  std::vector<int> inputs_per_request() {
    absl::MutexLock lock(&mu_);
    return inputs_per_request_;
  }
  std::vector<int> calls_per_request() {
    absl::MutexLock lock(&mu_);
    return calls_per_request_;
  }
  std::vector<int> learned() {
    absl::MutexLock lock(&mu_);
    return learned_;
  }

 private:
  absl::Mutex mu_;
  std::vector<int> calls_per_request_ ABSL_GUARDED_BY(mu_);
  std::vector<int> inputs_per_request_ ABSL_GUARDED_BY(mu_);
  std::vector<int> learned_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> learned_by_ ABSL_GUARDED_BY(mu_);
  absl::Duration learned_interval_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> answers_ ABSL_GUARDED_BY(mu_);
};

int InputsIn(const HttpRequest& request) {
  const std::vector<absl::string_view> parts = absl::StrSplit(request.body, "\"from\"");
  return static_cast<int>(parts.size()) - 1;
}

class TokenDispatcherTest : public testing::Test {
 protected:
  TokenDispatcherTest() {
    options_.max_inputs_per_request = 100;
    options_.budget.max_requests = 150;
    options_.budget.interval = absl::Seconds(10);
    options_.budget.bulk_share = 0.8;
    // The fake answers carry no rate-limit headers: plan with the configured
    // limit, not one discovered past it (token_budget_test covers discovery).
    options_.budget.discover = false;
    // Nor does latency cap what is in flight, unless a test says so.
    options_.concurrency.max = 0;
    options_.retry.max_attempts = 3;
  }

  std::shared_ptr<TokenDispatcher> Dispatcher(HttpTransport& transport) {
    budgets_ = LocalBudgets(options_.budget);
    return std::make_shared<TokenDispatcher>(
        "pat-test", options_,
        DispatchDeps{budgets_, transport, scheduler_, observer_, random_mu_, random_});
  }

  // A chunk of `inputs` inputs (from ids starting at `first_id`), kept alive by the test.
  const Chunk* MakeChunk(int inputs, int first_id) {
    auto request = std::make_unique<v1::ArchiveAssociationsRequest>();
    for (int i = 0; i < inputs; ++i) {
      auto* input = request->add_inputs();
      input->mutable_from_object()->set_id(absl::StrCat(first_id + i));
      input->add_to_objects()->set_id(absl::StrCat(900000 + first_id + i));
    }
    chunks_.push_back(std::make_unique<Chunk>());
    for (const auto& input : request->inputs())
      chunks_.back()->push_back(ArchiveSlice::Whole(input));
    requests_.push_back(std::move(request));
    return chunks_.back().get();
  }

  void Submit(TokenDispatcher& dispatcher, std::shared_ptr<RecordingOwner> owner,
              const Chunk* chunk, Lane lane = Lane::kInteractive, std::string url = kUrl,
              size_t index = 0, FlowKey flow = {}) {
    QueuedChunk queued;
    queued.flow = std::move(flow);
    queued.owner = std::move(owner);
    queued.index = index;
    queued.chunk = chunk;
    queued.url = std::move(url);
    queued.lane = lane;
    dispatcher.Submit(std::move(queued));
  }

  // Submits `owner`'s `chunk` with `time_left` before its deadline; what the
  // owner was told at once (OK when nothing yet).
  absl::Status SubmitUntold(TokenDispatcher& dispatcher, std::shared_ptr<RecordingOwner> owner,
                            const Chunk* chunk, absl::Duration time_left) {
    QueuedChunk queued;
    queued.owner = owner;
    queued.chunk = chunk;
    queued.url = kUrl;
    queued.deadline = scheduler_.Now() + time_left;
    dispatcher.Submit(std::move(queued));
    const auto outcomes = owner->outcomes();
    EXPECT_THAT(outcomes, SizeIs(1));
    return outcomes.empty() ? absl::OkStatus() : outcomes.begin()->second.status();
  }

  DispatchOptions options_;
  BudgetFactory budgets_;
  ManualScheduler scheduler_;
  RecordingObserver observer_;
  absl::Mutex random_mu_;
  absl::BitGen random_;
  std::vector<std::unique_ptr<v1::ArchiveAssociationsRequest>> requests_;
  std::vector<std::unique_ptr<Chunk>> chunks_;
};

TEST_F(TokenDispatcherTest, LoneCallOnAnIdleTokenGoesAtOnce) {
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto owner = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, owner, MakeChunk(1, 1));
  ASSERT_EQ(transport.pending_count(), 1);
  transport.AnswerNext(FakeHttpTransport::Answer(204));
  ASSERT_THAT(owner->outcomes(), SizeIs(1));
  EXPECT_TRUE(owner->outcomes().at(0).ok());
}

TEST_F(TokenDispatcherTest, EachAnswerIsReportedWithItsCallOutcomeAndLatency) {
  options_.retry.max_attempts = 1;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto owner = std::make_shared<RecordingOwner>();
  // Two full chunks: two requests, both sent now.
  Submit(*dispatcher, owner, MakeChunk(100, 1000), Lane::kInteractive, kUrl, 0);
  Submit(*dispatcher, owner, MakeChunk(100, 2000), Lane::kInteractive, kUrl, 1);
  ASSERT_EQ(transport.pending_count(), 2);
  scheduler_.AdvanceBy(absl::Milliseconds(250));
  transport.AnswerNext(FakeHttpTransport::Answer(503));
  scheduler_.AdvanceBy(absl::Milliseconds(1250));
  transport.AnswerNext(FakeHttpTransport::Answer(204));
  EXPECT_THAT(observer_.answers(),
              ElementsAre("batch/archive 503 transient 250ms", "batch/archive 204 success 1.5s"));
}

// A budget that has to ask elsewhere (as a shared one does): no slot until
// the test grants one, which wakes the dispatcher. Single-threaded tests only.
class LaterBudget final : public Budget {
 public:
  explicit LaterBudget(absl::AnyInvocable<void()> wake) : wake_(std::move(wake)) {}
  absl::Time NextSendTime(Lane, absl::Time now) override {
    return slots_ > 0 ? now : absl::InfiniteFuture();
  }
  Ticket Spend(absl::Time now) override {
    --slots_;
    Ticket ticket;
    ticket.sent = now;
    return ticket;
  }
  void Observe(const UpstreamAnswer&, absl::Time, const Ticket&) override {}
  bool DailyExhausted(absl::Time) const override { return false; }
  int effective_limit() const override { return 0; }
  absl::Duration interval() const override { return absl::Seconds(10); }
  bool IsIdle(absl::Time) const override { return true; }
  void Grant() {
    ++slots_;
    wake_();
  }

 private:
  absl::AnyInvocable<void()> wake_;
  int slots_ = 0;
};

TEST_F(TokenDispatcherTest, ABudgetThatAnswersLaterWakesTheDispatcher) {
  QueuedHttpTransport transport;
  LaterBudget* budget = nullptr;
  const BudgetFactory budgets = [&budget](const std::string&, absl::AnyInvocable<void()> wake) {
    auto made = std::make_unique<LaterBudget>(std::move(wake));
    budget = made.get();
    return made;
  };
  auto dispatcher = std::make_shared<TokenDispatcher>(
      "pat-test", options_,
      DispatchDeps{budgets, transport, scheduler_, observer_, random_mu_, random_});
  auto owner = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, owner, MakeChunk(1, 1));
  scheduler_.AdvanceBy(absl::Seconds(30));
  EXPECT_EQ(transport.pending_count(), 0);
  budget->Grant();
  scheduler_.RunDue();
  ASSERT_EQ(transport.pending_count(), 1);
  transport.AnswerNext(FakeHttpTransport::Answer(204));
  ASSERT_THAT(owner->outcomes(), SizeIs(1));
  EXPECT_TRUE(owner->outcomes().at(0).ok());
}

// A budget a shared store plans (as RedisBudget while Redis answers): its
// next send is 30 s away, or (`daily`) the store holds it stopped for the day.
class StoreHeldBudget final : public Budget {
 public:
  explicit StoreHeldBudget(bool daily) : daily_(daily) {}
  absl::Time NextSendTime(Lane, absl::Time now) override { return now + absl::Seconds(30); }
  Ticket Spend(absl::Time now) override {
    Ticket ticket;
    ticket.sent = now;
    return ticket;
  }
  void Observe(const UpstreamAnswer&, absl::Time, const Ticket&) override {}
  bool DailyExhausted(absl::Time) const override { return daily_; }
  bool HeldByStore(absl::Time) const override { return true; }
  int effective_limit() const override { return 10; }
  absl::Duration interval() const override { return absl::Seconds(10); }
  bool IsIdle(absl::Time) const override { return true; }

 private:
  const bool daily_;
};

// Issue 21, defect 8: a call held by what the budget store says is told so,
// never that HubSpot held it.
TEST_F(TokenDispatcherTest, WhatTheBudgetStoreHoldsIsNeverBlamedOnHubSpot) {
  for (const bool daily : {false, true}) {
    SCOPED_TRACE(daily ? "daily stop" : "wait past the deadline");
    QueuedHttpTransport transport;
    const BudgetFactory budgets = [daily](const std::string&, absl::AnyInvocable<void()>) {
      return std::make_unique<StoreHeldBudget>(daily);
    };
    auto dispatcher = std::make_shared<TokenDispatcher>(
        "pat-test", options_,
        DispatchDeps{budgets, transport, scheduler_, observer_, random_mu_, random_});
    const absl::Status failure = SubmitUntold(*dispatcher, std::make_shared<RecordingOwner>(),
                                              MakeChunk(1, 1), absl::Seconds(5));
    EXPECT_EQ(failure.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_THAT(std::string(failure.message()), HasSubstr("budget store"));
    EXPECT_THAT(std::string(failure.message()), Not(HasSubstr("HubSpot")));
    EXPECT_EQ(transport.sent(), 0);
  }
}

TEST_F(TokenDispatcherTest, BurstOfSmallCallsPacksIntoFullRequests) {
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  std::vector<std::shared_ptr<RecordingOwner>> owners;
  for (int i = 0; i < 250; ++i) {
    owners.push_back(std::make_shared<RecordingOwner>());
    Submit(*dispatcher, owners.back(), MakeChunk(1, 1000 + i));
  }
  // The first went alone; each 100 that gathered went as soon as it was full;
  // the last 49 wait for the next partial slot (10 s / 150).
  EXPECT_EQ(transport.pending_count(), 3);
  scheduler_.AdvanceBy(absl::Milliseconds(67));
  EXPECT_EQ(transport.pending_count(), 4);
  std::vector<int> inputs;
  for (const HttpRequest& request : transport.pending()) inputs.push_back(InputsIn(request));
  EXPECT_THAT(inputs, ElementsAre(1, 100, 100, 49));
  EXPECT_THAT(observer_.calls_per_request(), ElementsAre(1, 100, 100, 49));
  transport.AnswerAll(FakeHttpTransport::Answer(204));
  for (const auto& owner : owners) {
    ASSERT_THAT(owner->outcomes(), SizeIs(1));
    EXPECT_TRUE(owner->outcomes().at(0).ok());
  }
}

TEST_F(TokenDispatcherTest, OnlyChunksForTheSameUrlShareARequest) {
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto owner = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, owner, MakeChunk(1, 1));
  Submit(*dispatcher, owner, MakeChunk(1, 2), Lane::kInteractive, kOtherUrl, 1);
  Submit(*dispatcher, owner, MakeChunk(1, 3), Lane::kInteractive, kUrl, 2);
  scheduler_.AdvanceBy(absl::Seconds(1));
  const std::vector<HttpRequest> sent = transport.pending();
  ASSERT_THAT(sent, SizeIs(3));
  EXPECT_EQ(sent[1].url, kOtherUrl);
  EXPECT_EQ(InputsIn(sent[1]), 1);
  EXPECT_EQ(sent[2].url, kUrl);
}

TEST_F(TokenDispatcherTest, LabelsChunksNeverShareARequestWithArchiveChunks) {
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto owner = std::make_shared<RecordingOwner>();
  v1::ArchiveAssociationLabelsRequest labels;
  auto* input = labels.add_inputs();
  input->mutable_from_object()->set_id("7");
  input->mutable_to_object()->set_id("8");
  input->add_types()->set_category(v1::WORK);
  input->mutable_types(0)->set_type_id(3);
  const Chunk labels_chunk = {ArchiveSlice::Whole(*input)};
  Submit(*dispatcher, owner, MakeChunk(1, 1));  // Goes at once; the rest wait for it.
  Submit(*dispatcher, owner, MakeChunk(1, 2), Lane::kInteractive, kUrl, 1);
  // Even under the same URL, a different batch call is a different request.
  QueuedChunk queued;
  queued.owner = owner;
  queued.index = 2;
  queued.chunk = &labels_chunk;
  queued.call = &kBatchLabelsArchive;
  queued.url = kUrl;
  dispatcher->Submit(std::move(queued));
  Submit(*dispatcher, owner, MakeChunk(1, 3), Lane::kInteractive, kUrl, 3);
  scheduler_.AdvanceBy(absl::Seconds(1));
  const std::vector<HttpRequest> sent = transport.pending();
  ASSERT_THAT(sent, SizeIs(3));
  EXPECT_EQ(InputsIn(sent[1]), 2);  // The two archive chunks, coalesced.
  EXPECT_EQ(sent[2].body, R"({"inputs":[{"from":{"id":"7"},"to":{"id":"8"},"types":[)"
                          R"({"associationCategory":"WORK","associationTypeId":3}]}]})");
  transport.AnswerAll(FakeHttpTransport::Answer(204));
  EXPECT_THAT(owner->outcomes(), SizeIs(4));
}

TEST_F(TokenDispatcherTest, InteractiveFirstAndBulkKeepsOutOfTheReservedShare) {
  options_.budget.max_requests = 10;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto bulk = std::make_shared<RecordingOwner>();
  for (int i = 0; i < 10; ++i) {
    Submit(*dispatcher, bulk, MakeChunk(100, 1000 * (i + 1)), Lane::kBulk, kUrl, i,
           {"caller:bulk"});
  }
  EXPECT_EQ(transport.pending_count(), 8);  // 80% of 10.
  auto interactive = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, interactive, MakeChunk(100, 50000), Lane::kInteractive, kUrl, 0,
         {"caller:ui"});
  EXPECT_EQ(transport.pending_count(), 9);  // Found room at once.
  Submit(*dispatcher, interactive, MakeChunk(100, 60000), Lane::kInteractive, kUrl, 1,
         {"caller:ui"});
  EXPECT_EQ(transport.pending_count(), 10);
  Submit(*dispatcher, interactive, MakeChunk(100, 70000), Lane::kInteractive, kUrl, 2,
         {"caller:ui"});
  EXPECT_EQ(transport.pending_count(), 10);
  // When the window moves on, the waiting interactive chunk goes before the bulk ones.
  scheduler_.AdvanceBy(absl::Seconds(11));
  const std::vector<HttpRequest> sent = transport.pending();
  ASSERT_GT(sent.size(), 10u);
  EXPECT_NE(sent[10].body.find("\"70000\""), std::string::npos);
}

// The first from-id each pending request carries.
std::vector<std::string> FirstIds(const std::vector<HttpRequest>& requests) {
  std::vector<std::string> ids;
  for (const HttpRequest& request : requests) {
    const size_t at = request.body.find("\"id\":\"") + 6;
    ids.push_back(request.body.substr(at, request.body.find('"', at) - at));
  }
  return ids;
}

TEST_F(TokenDispatcherTest, ALightFlowGoesBeforeAHeavyFlowsQueueAndFindsTheReserve) {
  options_.budget.max_requests = 50;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  // A heavy caller's 20 calls of 10 chunks each: 200 requests, 4 s of budget.
  std::vector<std::shared_ptr<RecordingOwner>> heavy;
  for (int call = 0; call < 20; ++call) {
    heavy.push_back(std::make_shared<RecordingOwner>());
    for (int i = 0; i < 10; ++i) {
      Submit(*dispatcher, heavy.back(), MakeChunk(100, 100000 * (call + 1) + 100 * i),
             Lane::kInteractive, kUrl, i, {"caller:heavy"});
    }
  }
  // Alone, it may take the window but its last tenth.
  EXPECT_EQ(transport.pending_count(), 45);
  scheduler_.AdvanceBy(absl::Seconds(1));
  auto light = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, light, MakeChunk(1, 7), Lane::kInteractive, kUrl, 0, {"caller:light"});
  ASSERT_EQ(transport.pending_count(), 46);  // At once, from the reserve.
  EXPECT_EQ(FirstIds(transport.pending()).back(), "7");
  transport.AnswerAll(FakeHttpTransport::Answer(204));
  EXPECT_THAT(light->outcomes(), SizeIs(1));
  // When the window moves on, the heavy flow's requests go again, 45 at most,
  // its calls taking turns: the 45 sent at first were the 10 chunks of calls
  // 0 to 3 and 5 of call 4, so the next are call 4's, then call 5's, ... call 19's first.
  scheduler_.AdvanceBy(absl::Seconds(11));
  ASSERT_EQ(transport.pending_count(), 45);
  const std::vector<std::string> next = FirstIds(transport.pending());
  for (int call = 4; call < 20; ++call) {
    EXPECT_EQ(next[call - 4], absl::StrCat(100000 * (call + 1) + (call == 4 ? 500 : 0)));
  }
  EXPECT_EQ(next[16], "500600");  // Call 4 again.
  // A second light call while the heavy flow fills the window goes ahead of it.
  auto light2 = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, light2, MakeChunk(1, 9), Lane::kInteractive, kUrl, 0, {"caller:light"});
  ASSERT_EQ(transport.pending_count(), 46);
  EXPECT_EQ(FirstIds(transport.pending()).back(), "9");
}

// A caller without a backlog (one call at a time) next to a saturating
// stream is never held out of the reserve: it may fill the window. So is the
// stream's own caller: only a flow's interactive requests make it heavy.
TEST_F(TokenDispatcherTest, AnInteractiveCallerWithoutABacklogTakesTheLastTenth) {
  options_.budget.max_requests = 50;
  for (const std::string interactive_flow : {"caller:ui", "peer:10.0.0.1"}) {
    SCOPED_TRACE(interactive_flow);
    QueuedHttpTransport transport;
    auto dispatcher = Dispatcher(transport);
    auto bulk = std::make_shared<RecordingOwner>();
    for (int i = 0; i < 60; ++i) {
      Submit(*dispatcher, bulk, MakeChunk(100, 100000 + 100 * i), Lane::kBulk, kUrl, i,
             {"peer:10.0.0.1"});
    }
    ASSERT_EQ(transport.pending_count(), 40);  // 80% of 50.
    auto ui = std::make_shared<RecordingOwner>();
    for (int i = 0; i < 10; ++i) {
      Submit(*dispatcher, ui, MakeChunk(100, 900000 + 100 * i), Lane::kInteractive, kUrl, i,
             {interactive_flow});
      EXPECT_EQ(transport.pending_count(), 41u + i) << i;  // At once, each.
    }
  }
}

// Bulk work never takes the reserve, even while the heavy caller's requests
// are unanswered (the budget counts a request from its answer on).
TEST_F(TokenDispatcherTest, ABulkStreamBesideAHeavyCallerLeavesTheReserve) {
  options_.budget.max_requests = 50;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto heavy = std::make_shared<RecordingOwner>();
  for (int i = 0; i < 60; ++i) {
    Submit(*dispatcher, heavy, MakeChunk(100, 100000 + 100 * i), Lane::kInteractive, kUrl, i,
           {"caller:heavy"});
  }
  ASSERT_EQ(transport.pending_count(), 45);
  auto stream = std::make_shared<RecordingOwner>();
  for (int i = 0; i < 10; ++i) {
    Submit(*dispatcher, stream, MakeChunk(100, 500000 + 100 * i), Lane::kBulk, kUrl, i,
           {"peer:10.0.0.1"});
  }
  EXPECT_EQ(transport.pending_count(), 45);
  auto light = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, light, MakeChunk(1, 7), Lane::kInteractive, kUrl, 0, {"caller:light"});
  ASSERT_EQ(transport.pending_count(), 46);  // At once, from the reserve.
  EXPECT_EQ(FirstIds(transport.pending()).back(), "7");
}

TEST_F(TokenDispatcherTest, TwoHeavyFlowsLeaveTheReserveToALightOne) {
  options_.budget.max_requests = 50;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto heavy = std::make_shared<RecordingOwner>();
  // Two heavy callers, 40 chunks each: together they fill all but the reserve.
  for (int i = 0; i < 40; ++i) {
    Submit(*dispatcher, heavy, MakeChunk(100, 100000 + 100 * i), Lane::kInteractive, kUrl, i,
           {"caller:heavy"});
    Submit(*dispatcher, heavy, MakeChunk(100, 900000 + 100 * i), Lane::kInteractive, kUrl, i,
           {"caller:other-heavy"});
  }
  EXPECT_EQ(transport.pending_count(), 45);
  auto light = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, light, MakeChunk(1, 7), Lane::kInteractive, kUrl, 0, {"caller:light"});
  ASSERT_EQ(transport.pending_count(), 46);  // At once, from the reserve.
  EXPECT_EQ(FirstIds(transport.pending()).back(), "7");
}

TEST_F(TokenDispatcherTest, BackloggedFlowsShareTheLaneByWeight) {
  options_.budget.max_requests = 10;
  options_.budget.bulk_share = 1.0;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto a = std::make_shared<RecordingOwner>();
  auto b = std::make_shared<RecordingOwner>();
  auto c = std::make_shared<RecordingOwner>();
  for (int i = 0; i < 40; ++i) {
    Submit(*dispatcher, a, MakeChunk(100, 100000 + 100 * i), Lane::kBulk, kUrl, i, {"a", 2.0});
    Submit(*dispatcher, b, MakeChunk(100, 200000 + 100 * i), Lane::kBulk, kUrl, i, {"b", 1.0});
    Submit(*dispatcher, c, MakeChunk(100, 300000 + 100 * i), Lane::kBulk, kUrl, i, {"c", 1.0});
  }
  // The first window's 10 went as they came; the next three windows' 30 were
  // shared: a (weight 2) half of them, b and c a quarter each.
  scheduler_.AdvanceBy(absl::Seconds(31));
  const std::vector<std::string> ids = FirstIds(transport.pending());
  ASSERT_EQ(ids.size(), 40u);
  std::map<char, int> sent;
  for (size_t i = 10; i < ids.size(); ++i) ++sent[ids[i][0]];
  EXPECT_NEAR(sent['1'], 15, 1);
  EXPECT_NEAR(sent['2'], 7.5, 1);
  EXPECT_NEAR(sent['3'], 7.5, 1);
}

TEST_F(TokenDispatcherTest, AFlowsMaxShareCapsItsPartOfTheWindow) {
  options_.budget.max_requests = 10;
  options_.budget.bulk_share = 1.0;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto capped = std::make_shared<RecordingOwner>();
  for (int i = 0; i < 10; ++i) {
    Submit(*dispatcher, capped, MakeChunk(100, 100000 + 100 * i), Lane::kBulk, kUrl, i,
           {"capped", 1.0, 0.3});
  }
  EXPECT_EQ(transport.pending_count(), 3);  // 30% of 10, though the rest is free.
  auto other = std::make_shared<RecordingOwner>();
  for (int i = 0; i < 20; ++i) {
    Submit(*dispatcher, other, MakeChunk(100, 200000 + 100 * i), Lane::kBulk, kUrl, i, {"other"});
  }
  EXPECT_EQ(transport.pending_count(), 10);
  scheduler_.AdvanceBy(absl::Seconds(11));
  EXPECT_EQ(transport.pending_count(), 20);
  std::map<char, int> sent;
  for (const std::string& id : FirstIds(transport.pending())) ++sent[id[0]];
  EXPECT_EQ(sent['1'], 6);
  EXPECT_EQ(sent['2'], 14);
}

TEST_F(TokenDispatcherTest, SmallCallsOfDifferentFlowsShareARequest) {
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  std::vector<std::shared_ptr<RecordingOwner>> owners;
  for (int i = 0; i < 30; ++i) {
    owners.push_back(std::make_shared<RecordingOwner>());
    Submit(*dispatcher, owners.back(), MakeChunk(1, 1000 + i), Lane::kInteractive, kUrl, 0,
           {absl::StrCat("caller:", i % 3)});
  }
  // The first went alone; the other 29, of three callers, wait together for the next slot.
  EXPECT_EQ(transport.pending_count(), 1);
  scheduler_.AdvanceBy(absl::Milliseconds(67));
  ASSERT_EQ(transport.pending_count(), 2);
  EXPECT_EQ(InputsIn(transport.pending()[1]), 29);
  EXPECT_EQ(observer_.calls_per_request().back(), 29);
}

TEST_F(TokenDispatcherTest, RequestsInFlightStayWithinTheAdaptiveLimit) {
  options_.concurrency.initial = 3;
  options_.concurrency.min = 1;
  options_.concurrency.max = 4;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto owner = std::make_shared<RecordingOwner>();
  for (int i = 0; i < 10; ++i) Submit(*dispatcher, owner, MakeChunk(100, 1000 * (i + 1)));
  EXPECT_EQ(transport.pending_count(), 3);
  EXPECT_EQ(dispatcher->concurrency_limit(), 3);
  // Answers as fast as ever, with the limit in use: it grows (to its max).
  scheduler_.AdvanceBy(absl::Milliseconds(50));
  for (int i = 0; i < 3; ++i) transport.AnswerNext(FakeHttpTransport::Answer(204));
  EXPECT_EQ(dispatcher->concurrency_limit(), 4);
  EXPECT_EQ(transport.pending_count(), 4);
  // A 503 shrinks it.
  transport.AnswerNext(FakeHttpTransport::Answer(503));
  EXPECT_EQ(dispatcher->concurrency_limit(), 3);
}

TEST_F(TokenDispatcherTest, HeadersReplanWorkAlreadyQueued) {
  options_.budget.max_requests = 2;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto owner = std::make_shared<RecordingOwner>();
  for (int i = 0; i < 4; ++i) {
    Submit(*dispatcher, owner, MakeChunk(100, 1000 * (i + 1)), Lane::kInteractive, kUrl, i);
  }
  ASSERT_EQ(transport.pending_count(), 2);
  transport.AnswerNext(
      FakeHttpTransport::Answer(204, "",
                                {{"x-hubspot-ratelimit-max", "1000"},
                                 {"x-hubspot-ratelimit-interval-milliseconds", "10000"},
                                 {"x-hubspot-ratelimit-remaining", "700"}}));
  // No time passed: the answer itself made room, for one probe past the
  // configured level.
  EXPECT_THAT(observer_.learned(), ElementsAre(1000));
  // Named by the token's fingerprint, never the token.
  EXPECT_THAT(observer_.learned_by(), ElementsAre(Fingerprint("pat-test")));
  EXPECT_EQ(observer_.learned_interval(), absl::Seconds(10));
  EXPECT_EQ(transport.sent(), 3);
  // HubSpot took it: the next goes too.
  transport.Answer(1, FakeHttpTransport::Answer(204));
  EXPECT_EQ(transport.sent(), 4);
}

TEST_F(TokenDispatcherTest, RollingLimitLowersTheLimitAndTheRetryWaitsForIt) {
  options_.budget.max_requests = 190;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto owner = std::make_shared<RecordingOwner>();
  for (int i = 0; i < 30; ++i) {
    Submit(*dispatcher, owner, MakeChunk(100, 1000 * (i + 1)), Lane::kInteractive, kUrl, i);
  }
  ASSERT_EQ(transport.pending_count(), 30);
  // The 11th request drew a 429: HubSpot held the 10 before it.
  ASSERT_TRUE(transport.Answer(
      10, FakeHttpTransport::Answer(429, R"({"policyName":"TEN_SECONDLY_ROLLING"})")));
  // A tenth of 190 is the floor: the limit is now 19, the window holds 30, the retry waits.
  EXPECT_THAT(observer_.learned(), ElementsAre(19));
  EXPECT_EQ(transport.sent(), 30);
  scheduler_.AdvanceBy(absl::Seconds(11));
  EXPECT_EQ(transport.sent(), 31);
  EXPECT_TRUE(owner->outcomes().empty());
}

// The issue's case: a rolling 429 without Retry-After holds the token for
// about 10 s, and a call has 5 s left. Its chunk fails at once, saying how
// long HubSpot's limit holds the token, instead of waiting into a bare
// DEADLINE_EXCEEDED; a call whose deadline allows the wait still waits.
TEST_F(TokenDispatcherTest, AWaitPastTheDeadlineFailsAtOnceSayingHowLong) {
  options_.budget.max_requests = 190;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto hurried = std::make_shared<RecordingOwner>();
  auto patient = std::make_shared<RecordingOwner>();
  const absl::Time start = scheduler_.Now();
  for (int i = 0; i < 30; ++i) {
    QueuedChunk queued;
    queued.owner = i == 10 ? hurried : patient;
    queued.index = i;
    queued.chunk = MakeChunk(100, 1000 * (i + 1));
    queued.url = kUrl;
    queued.deadline = start + (i == 10 ? absl::Seconds(5) : absl::Seconds(60));
    dispatcher->Submit(std::move(queued));
  }
  ASSERT_EQ(transport.pending_count(), 30);
  ASSERT_TRUE(transport.Answer(
      10,
      FakeHttpTransport::Answer(
          429, R"({"status":"error","message":"You have reached your ten_secondly_rolling limit.",)"
               R"("category":"RATE_LIMITS","policyName":"TEN_SECONDLY_ROLLING",)"
               R"("correlationId":"c-429"})")));
  // No time passed: the hurried call's chunk failed when it went back to the queue.
  EXPECT_EQ(scheduler_.Now(), start);
  ASSERT_THAT(hurried->outcomes(), SizeIs(1));
  const absl::Status failure = hurried->outcomes().at(10).status();
  EXPECT_EQ(failure.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(failure.message()),
              testing::HasSubstr("after this call's deadline (5s left)"));
  EXPECT_THAT(std::string(failure.message()), testing::HasSubstr("correlationId c-429"));
  const std::optional<v1::UpstreamError> error = GetUpstreamError(failure);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->http_status(), 429);
  EXPECT_EQ(error->policy_name(), "TEN_SECONDLY_ROLLING");
  EXPECT_EQ(error->correlation_id(), "c-429");
  EXPECT_EQ(error->attempts(), 1);
  // How long the limit holds the token: more than the 5 s the call had.
  const absl::Duration wait = absl::Seconds(error->retry_after().seconds()) +
                              absl::Nanoseconds(error->retry_after().nanos());
  EXPECT_GT(wait, absl::Seconds(5));
  EXPECT_LE(wait, absl::Seconds(11));
  // The others' work was not touched; it goes once the wait is over.
  EXPECT_TRUE(patient->outcomes().empty());
  scheduler_.AdvanceBy(wait);
  EXPECT_EQ(transport.sent(), 30);  // The hurried chunk was never re-sent.
  for (int i = 0; i < 29; ++i) transport.AnswerNext(FakeHttpTransport::Answer(204));
  EXPECT_THAT(patient->outcomes(), SizeIs(29));
}

// With no 429 at all, a budget spent for longer than a call has left fails
// the call at once too, with the wait and no HubSpot answer to quote.
TEST_F(TokenDispatcherTest, ASpentBudgetFailsACallThatCannotWaitForIt) {
  options_.budget.max_requests = 1;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto first = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, first, MakeChunk(100, 1));
  ASSERT_EQ(transport.sent(), 1);
  const absl::Status failure = SubmitUntold(*dispatcher, std::make_shared<RecordingOwner>(),
                                            MakeChunk(100, 1000), absl::Seconds(2));
  EXPECT_EQ(failure.code(), absl::StatusCode::kResourceExhausted);
  const std::optional<v1::UpstreamError> error = GetUpstreamError(failure);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->http_status(), 0);
  EXPECT_EQ(error->attempts(), 0);
  EXPECT_GT(error->retry_after().seconds(), 2);
  EXPECT_EQ(transport.sent(), 1);
}

// Every 429 that is not DAILY is retried: after its Retry-After, or, without
// one, when the budget's own pacing lets the chunk go again (the limit drops
// to a tenth of 150, so a partial request waits 10 s / 15).
TEST_F(TokenDispatcherTest, EveryRateLimitButDailyIsRetriedAfterRetryAfterOrTheBudgetsWait) {
  struct Case {
    const char* name;
    std::string body;
    bool retry_after_header;
    // std::nullopt: never retried.
    std::optional<absl::Duration> retried_after;
  };
  const absl::Duration kBudgetWait = absl::Seconds(10) / 15;
  const std::vector<Case> cases = {
      {"body-less", "", true, absl::Seconds(1)},
      {"body-less, no Retry-After", "", false, kBudgetWait},
      {"SECONDLY", R"({"policyName":"SECONDLY"})", true, absl::Seconds(1)},
      {"SECONDLY, no Retry-After", R"({"policyName":"SECONDLY"})", false, kBudgetWait},
      {"TEN_SECONDLY_ROLLING", R"({"policyName":"TEN_SECONDLY_ROLLING"})", true, absl::Seconds(1)},
      {"TEN_SECONDLY_ROLLING, no Retry-After", R"({"policyName":"TEN_SECONDLY_ROLLING"})", false,
       kBudgetWait},
      {"unknown policy", R"({"policyName":"MINUTELY_BURST"})", true, absl::Seconds(1)},
      {"unknown policy, no Retry-After", R"({"policyName":"MINUTELY_BURST"})", false, kBudgetWait},
      {"non-JSON", "<html>Too Many Requests</html>", true, absl::Seconds(1)},
      {"non-JSON, no Retry-After", "<html>Too Many Requests</html>", false, kBudgetWait},
      {"DAILY", R"({"policyName":"DAILY"})", true, std::nullopt},
      {"DAILY, no Retry-After", R"({"policyName":"DAILY"})", false, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    QueuedHttpTransport transport;
    auto dispatcher = Dispatcher(transport);
    auto owner = std::make_shared<RecordingOwner>();
    Submit(*dispatcher, owner, MakeChunk(1, 1));
    ASSERT_EQ(transport.sent(), 1);
    std::vector<std::pair<std::string, std::string>> headers;
    if (c.retry_after_header) headers.emplace_back("retry-after", "1");
    ASSERT_TRUE(transport.Answer(0, FakeHttpTransport::Answer(429, c.body, headers)));
    if (!c.retried_after.has_value()) {
      scheduler_.AdvanceBy(absl::Seconds(60));
      EXPECT_EQ(transport.sent(), 1);
      ASSERT_THAT(owner->outcomes(), SizeIs(1));
      EXPECT_EQ(owner->outcomes().at(0).status().code(), absl::StatusCode::kResourceExhausted);
      continue;
    }
    scheduler_.AdvanceBy(*c.retried_after - absl::Milliseconds(1));
    EXPECT_EQ(transport.sent(), 1);
    scheduler_.AdvanceBy(absl::Milliseconds(1));
    ASSERT_EQ(transport.sent(), 2);
    transport.AnswerNext(FakeHttpTransport::Answer(204));
    ASSERT_THAT(owner->outcomes(), SizeIs(1));
    EXPECT_TRUE(owner->outcomes().at(0).ok());
    EXPECT_EQ(owner->attempts(), 2);
    scheduler_.AdvanceBy(absl::Seconds(60));  // Lets the budget go idle before the next case.
  }
}

TEST_F(TokenDispatcherTest, DailyLimitFailsWaitingWorkAtOnce) {
  options_.budget.max_requests = 1;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  std::vector<std::shared_ptr<RecordingOwner>> owners;
  for (int i = 0; i < 3; ++i) {
    owners.push_back(std::make_shared<RecordingOwner>());
    Submit(*dispatcher, owners.back(), MakeChunk(100, 1000 * (i + 1)));
  }
  ASSERT_EQ(transport.pending_count(), 1);
  transport.AnswerNext(FakeHttpTransport::Answer(429, R"({"policyName":"DAILY"})"));
  for (const auto& owner : owners) {
    ASSERT_THAT(owner->outcomes(), SizeIs(1));
    EXPECT_EQ(owner->outcomes().at(0).status().code(), absl::StatusCode::kResourceExhausted);
  }
  auto late = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, late, MakeChunk(1, 9));
  ASSERT_THAT(late->outcomes(), SizeIs(1));
  EXPECT_EQ(late->outcomes().at(0).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(transport.sent(), 1);
}

TEST_F(TokenDispatcherTest, CancelRemovesQueuedWorkAndLetsSentWorkFinish) {
  options_.budget.max_requests = 1;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto sent = std::make_shared<RecordingOwner>();
  auto leaving = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, sent, MakeChunk(100, 1000));
  Submit(*dispatcher, leaving, MakeChunk(100, 2000), Lane::kInteractive, kUrl, 0);
  Submit(*dispatcher, leaving, MakeChunk(100, 3000), Lane::kInteractive, kUrl, 1);
  leaving->Stop(absl::CancelledError("gone"));
  dispatcher->Cancel(leaving.get(), absl::CancelledError("gone"));
  ASSERT_THAT(leaving->outcomes(), SizeIs(2));
  EXPECT_EQ(leaving->outcomes().at(1).status().code(), absl::StatusCode::kCancelled);
  scheduler_.AdvanceBy(absl::Seconds(30));
  EXPECT_EQ(transport.sent(), 1);
  transport.AnswerNext(FakeHttpTransport::Answer(204));
  EXPECT_TRUE(sent->outcomes().at(0).ok());
}

TEST_F(TokenDispatcherTest, SharedAnswerIsSplitAndFailuresReachEveryCall) {
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto first = std::make_shared<RecordingOwner>();
  auto a = std::make_shared<RecordingOwner>();
  auto b = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, first, MakeChunk(1, 1));
  Submit(*dispatcher, a, MakeChunk(1, 101));
  Submit(*dispatcher, b, MakeChunk(1, 102));
  scheduler_.AdvanceBy(absl::Seconds(1));
  ASSERT_EQ(transport.pending_count(), 2);
  transport.AnswerNext(FakeHttpTransport::Answer(204));
  transport.AnswerNext(FakeHttpTransport::Answer(
      207, R"({"status":"COMPLETE","results":[],"startedAt":"2026-03-01T12:00:00Z",)"
           R"("completedAt":"2026-03-01T12:00:01Z","errors":[{"status":"error",)"
           R"("category":"OBJECT_NOT_FOUND","message":"no such record",)"
           R"("context":{"fromIds":["102"]}}],"numErrors":1})"));
  ASSERT_TRUE(a->outcomes().at(0).ok());
  EXPECT_EQ(a->outcomes().at(0)->errors_size(), 0);
  ASSERT_TRUE(b->outcomes().at(0).ok());
  EXPECT_EQ(b->outcomes().at(0)->errors_size(), 1);
  EXPECT_EQ(b->outcomes().at(0)->started_at().seconds(),
            a->outcomes().at(0)->started_at().seconds());

  auto c = std::make_shared<RecordingOwner>();
  auto d = std::make_shared<RecordingOwner>();
  const Chunk* c_chunk = MakeChunk(1, 201);
  const Chunk* d_chunk = MakeChunk(1, 202);
  Submit(*dispatcher, c, c_chunk);
  Submit(*dispatcher, d, d_chunk);
  scheduler_.AdvanceBy(absl::Seconds(1));
  // A 401 is about the token, not the inputs: every call fails with it.
  transport.AnswerAll(FakeHttpTransport::Answer(401, R"({"message":"bad","correlationId":"c-1"})"));
  for (const auto& [owner, chunk] : {std::pair{c, c_chunk}, std::pair{d, d_chunk}}) {
    const absl::Status failure = owner->outcomes().at(0).status();
    EXPECT_EQ(failure.code(), absl::StatusCode::kUnauthenticated);
    // The caller sees the attempts in the error naming the chunk's inputs.
    EXPECT_THAT(ChunkFailureError(*chunk, failure).context().at("attempts").values(),
                ElementsAre("1"));
  }
}

// Issue 21: a shared request HubSpot rejects as a whole for what it carried
// (here d's input) goes again one call per request, so c's call succeeds and
// only d hears the 400 (with its own ids in the message).
TEST_F(TokenDispatcherTest, ARequestOfSeveralCallsRejectedAsAWholeGoesAgainOneCallEach) {
  options_.retry.max_attempts = 1;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  // The first call on an idle token goes at once; the next ones share a request.
  auto first = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, first, MakeChunk(1, 1));
  ASSERT_EQ(transport.pending_count(), 1);
  transport.AnswerNext(FakeHttpTransport::Answer(204));
  auto c = std::make_shared<RecordingOwner>();
  auto d = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, c, MakeChunk(1, 201));
  Submit(*dispatcher, d, MakeChunk(1, 202), Lane::kInteractive, kUrl, 0);
  Submit(*dispatcher, d, MakeChunk(1, 203), Lane::kInteractive, kUrl, 1);
  scheduler_.AdvanceBy(absl::Seconds(1));
  ASSERT_EQ(transport.pending_count(), 1);
  transport.AnswerNext(FakeHttpTransport::Answer(400, R"({"message":"bad id 202"})"));
  // Each call's chunks alone: c's one, d's two together.
  scheduler_.AdvanceBy(absl::Seconds(1));
  ASSERT_EQ(transport.pending_count(), 2);
  EXPECT_EQ(observer_.calls_per_request(), (std::vector<int>{1, 2, 1, 1}));
  for (const HttpRequest& request : transport.pending()) {
    const bool c_request = absl::StrContains(request.body, "\"201\"");
    EXPECT_EQ(InputsIn(request), c_request ? 1 : 2) << request.body;
    if (c_request) {
      EXPECT_THAT(request.body, Not(HasSubstr("202")));
      transport.AnswerNext(FakeHttpTransport::Answer(204));
    } else {
      transport.AnswerNext(FakeHttpTransport::Answer(400, R"({"message":"bad id 202"})"));
    }
  }
  ASSERT_TRUE(c->outcomes().at(0).ok()) << c->outcomes().at(0).status();
  EXPECT_EQ(c->outcomes().at(0)->errors_size(), 0);
  for (size_t index : {0, 1}) {
    const absl::Status failure = d->outcomes().at(index).status();
    EXPECT_EQ(failure.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(GetUpstreamError(failure)->attempts(), 2);
  }
  // Sent apart once: no more requests.
  scheduler_.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(transport.pending_count(), 0);
}

// Two callers' label reads of one object pair are two requests: a read's
// answer names no record, so one shared between calls would reach neither.
TEST_F(TokenDispatcherTest, ReadsOfDifferentCallsNeverShareARequest) {
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  auto first = std::make_shared<RecordingOwner>();
  Submit(*dispatcher, first, MakeChunk(1, 1));
  const Chunk no_inputs;
  std::vector<std::shared_ptr<RecordingOwner>> readers;
  for (int i = 0; i < 2; ++i) {
    readers.push_back(std::make_shared<RecordingOwner>());
    QueuedChunk read;
    read.owner = readers.back();
    read.chunk = &no_inputs;
    read.call = &kAssociationLabelsRead;
    read.url = "https://hubspot.test/crm/associations/2026-03/contacts/companies/labels";
    dispatcher->Submit(std::move(read));
  }
  scheduler_.AdvanceBy(absl::Seconds(1));
  transport.AnswerNext(FakeHttpTransport::Answer(204));
  ASSERT_EQ(transport.pending_count(), 2);
  transport.AnswerAll(FakeHttpTransport::Answer(
      200, R"({"results":[{"category":"HUBSPOT_DEFINED","typeId":279,"label":null}]})"));
  for (const auto& reader : readers) {
    ASSERT_TRUE(reader->outcomes().at(0).ok()) << reader->outcomes().at(0).status();
    EXPECT_EQ(reader->outcomes().at(0)->results_size(), 1);
  }
}

TEST_F(TokenDispatcherTest, InlineAnswersNeverRecurse) {
  options_.budget.max_requests = 0;
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(204); });
  auto dispatcher = Dispatcher(transport);
  // Each finished chunk submits the next, as a call does: 100,000 in a row.
  class ChainOwner final : public ChunkOwner {
   public:
    ChainOwner(TokenDispatcher& dispatcher, const Chunk* chunk, int remaining)
        : dispatcher_(dispatcher), chunk_(chunk), remaining_(remaining) {}
    void OnAttempt(const UpstreamAnswer&, bool) override {}
    void OnChunkDone(size_t, absl::StatusOr<v1::BatchResult> outcome) override {
      ASSERT_TRUE(outcome.ok());
      if (--remaining_ == 0) return;
      QueuedChunk next;
      next.owner = self_.lock();
      next.chunk = chunk_;
      next.url = kUrl;
      dispatcher_.Submit(std::move(next));
    }
    absl::Status Stopped() const override { return absl::OkStatus(); }
    void OnWaiting() override {}
    std::weak_ptr<ChainOwner> self_;
    TokenDispatcher& dispatcher_;
    const Chunk* chunk_;
    int remaining_;
  };
  const Chunk* chunk = MakeChunk(1, 1);
  auto owner = std::make_shared<ChainOwner>(*dispatcher, chunk, 100000);
  owner->self_ = owner;
  QueuedChunk first;
  first.owner = owner;
  first.chunk = chunk;
  first.url = kUrl;
  dispatcher->Submit(std::move(first));
  EXPECT_EQ(owner->remaining_, 0);
  EXPECT_EQ(transport.requests().size(), 100000u);
}

// A DAILY 429 fails every queued chunk, and each failure makes its call hand
// over its next chunk, which fails at once in turn: 10,000 chunks must be
// told one after another, never one inside another.
TEST_F(TokenDispatcherTest, DailyLimitOverTenThousandQueuedChunksKeepsTheStackFlat) {
  options_.budget.max_requests = 1;
  QueuedHttpTransport transport;
  auto dispatcher = Dispatcher(transport);
  // Like a call: four chunks with the dispatcher at a time, the next handed
  // over as each finishes; records how deeply its callbacks nest.
  class CallLikeOwner final : public ChunkOwner {
   public:
    CallLikeOwner(TokenDispatcher& dispatcher, const Chunk* chunk, size_t chunks)
        : dispatcher_(dispatcher), chunk_(chunk), chunks_(chunks) {}
    void Launch() {
      while (next_ < chunks_ && in_flight_ < 4) {
        ++in_flight_;
        QueuedChunk queued;
        queued.owner = self_.lock();
        queued.index = next_++;
        queued.chunk = chunk_;
        queued.url = kUrl;
        dispatcher_.Submit(std::move(queued));
      }
    }
    void OnAttempt(const UpstreamAnswer&, bool) override {}
    void OnChunkDone(size_t, absl::StatusOr<v1::BatchResult> outcome) override {
      deepest_ = std::max(deepest_, ++depth_);
      if (outcome.status().code() == absl::StatusCode::kResourceExhausted) ++exhausted_;
      --in_flight_;
      ++done_;
      Launch();
      --depth_;
    }
    absl::Status Stopped() const override { return absl::OkStatus(); }
    void OnWaiting() override {}
    std::weak_ptr<CallLikeOwner> self_;
    TokenDispatcher& dispatcher_;
    const Chunk* chunk_;
    const size_t chunks_;
    size_t next_ = 0;
    int in_flight_ = 0;
    int depth_ = 0;
    int deepest_ = 0;
    size_t done_ = 0;
    size_t exhausted_ = 0;
  };
  constexpr size_t kChunks = 10000;
  const Chunk* chunk = MakeChunk(1, 1);
  // 2,500 calls of 4 chunks queue 10,000 chunks behind the one request sent;
  // one more call of 10,000 chunks hands them over four at a time.
  std::vector<std::shared_ptr<CallLikeOwner>> owners;
  for (size_t i = 0; i < kChunks / 4 + 1; ++i) {
    owners.push_back(std::make_shared<CallLikeOwner>(*dispatcher, chunk, i == 0 ? kChunks : 4));
    owners.back()->self_ = owners.back();
    owners.back()->Launch();
  }
  ASSERT_EQ(transport.sent(), 1);
  transport.AnswerNext(FakeHttpTransport::Answer(429, R"({"policyName":"DAILY"})"));
  size_t done = 0;
  size_t exhausted = 0;
  for (const auto& owner : owners) {
    EXPECT_EQ(owner->deepest_, 1);
    done += owner->done_;
    exhausted += owner->exhausted_;
  }
  EXPECT_EQ(done, 2 * kChunks);
  EXPECT_EQ(exhausted, 2 * kChunks);
  EXPECT_EQ(transport.sent(), 1);
}

TEST(DispatcherTest, IdleTokensAreForgottenSoMemoryStaysFlat) {
  ManualScheduler scheduler;
  ArchiveObserver observer;
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(204); });
  DispatchOptions options;
  options.budget.interval = absl::Seconds(1);
  absl::BitGen random;
  Dispatcher dispatcher(options, transport, scheduler, observer, random);
  v1::ArchiveInput input;
  input.mutable_from_object()->set_id("1");
  input.add_to_objects()->set_id("2");
  const Chunk chunk = {ArchiveSlice::Whole(input)};
  auto owner = std::make_shared<RecordingOwner>();
  size_t most = 0;
  for (int i = 0; i < 100000; ++i) {
    QueuedChunk queued;
    queued.owner = owner;
    queued.chunk = &chunk;
    queued.url = kUrl;
    dispatcher.For(absl::StrCat("passthrough-token-", i))->Submit(std::move(queued));
    most = std::max(most, dispatcher.tokens());
    scheduler.AdvanceBy(absl::Milliseconds(1));
  }
  // Idle for two intervals (2 s at one new token per ms), plus one sweep period.
  EXPECT_LE(most, 3100u);
  scheduler.AdvanceBy(absl::Seconds(3));
  dispatcher.For("one-more");
  EXPECT_EQ(dispatcher.tokens(), 1u);
}

// Counts the tokens the dispatcher reports forgotten.
class ForgettingObserver final : public ArchiveObserver {
 public:
  void OnTokenForgotten(absl::string_view token_fingerprint) override {
    absl::MutexLock lock(&mu_);
    forgotten_.emplace_back(token_fingerprint);
  }
  std::vector<std::string> forgotten() {
    absl::MutexLock lock(&mu_);
    return forgotten_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> forgotten_ ABSL_GUARDED_BY(mu_);
};

TEST(DispatcherTest, ForgettingATokenIsReportedByItsFingerprint) {
  ManualScheduler scheduler;
  ForgettingObserver observer;
  FakeHttpTransport transport([](const HttpRequest&) { return FakeHttpTransport::Answer(204); });
  DispatchOptions options;
  options.budget.interval = absl::Seconds(1);
  absl::BitGen random;
  Dispatcher dispatcher(options, transport, scheduler, observer, random);
  dispatcher.For("token-a");
  const std::shared_ptr<TokenDispatcher> held = dispatcher.For("token-b");
  EXPECT_THAT(observer.forgotten(), IsEmpty());
  scheduler.AdvanceBy(absl::Seconds(3));
  dispatcher.For("token-c");
  // Both were idle, but token-b's dispatcher is held (about to be used).
  EXPECT_THAT(observer.forgotten(), ElementsAre(Fingerprint("token-a")));
  EXPECT_EQ(dispatcher.tokens(), 2u);
}

}  // namespace
}  // namespace hubspot_gateway
