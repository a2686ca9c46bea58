#include "server/labels/unlabeled_type_cache.h"

#include <deque>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/manual_scheduler.h"

namespace hubspot_gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pointee;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

constexpr char kToken[] = "pat-cache-test-token";

// Queues each read until the test answers it.
class QueuedLabelsReader final : public AssociationLabelsReader {
 public:
  struct PendingRead {
    LabelsReadFor who;
    std::string from;
    std::string to;
    absl::Time deadline;
    Done done;
  };

  void Read(const LabelsReadFor& who, absl::string_view from_object_type,
            absl::string_view to_object_type, absl::Time deadline, Done done) override {
    absl::MutexLock lock(&mu_);
    reads_.push_back({who, std::string(from_object_type), std::string(to_object_type), deadline,
                      std::move(done)});
  }

  size_t pending() {
    absl::MutexLock lock(&mu_);
    return reads_.size();
  }
  // The oldest read still waiting.
  PendingRead Next() {
    absl::MutexLock lock(&mu_);
    PendingRead read = std::move(reads_.front());
    reads_.pop_front();
    return read;
  }
  void AnswerNext(absl::StatusOr<UnlabeledTypes> answer) {
    PendingRead read = Next();
    std::move(read.done)(std::move(answer));
  }

 private:
  absl::Mutex mu_;
  std::deque<PendingRead> reads_ ABSL_GUARDED_BY(mu_);
};

// What one lookup answered; `answered` false until it did.
struct Answer {
  bool answered = false;
  std::shared_ptr<const UnlabeledTypes> types;
};

class UnlabeledTypeCacheTest : public testing::Test {
 protected:
  UnlabeledTypeCacheTest()
      : cache_(options_, reader_, scheduler_,
               [this](absl::string_view line) { log_.emplace_back(line); }) {}

  void Lookup(Answer& answer, const std::string& token = kToken,
              const std::string& from = "contacts", const std::string& to = "companies") {
    cache_.Lookup({token, Lane::kInteractive, {"caller:test"}}, from, to,
                  [&answer](std::shared_ptr<const UnlabeledTypes> types) {
                    answer.answered = true;
                    answer.types = std::move(types);
                  });
  }

  const UnlabeledTypeCacheOptions options_;
  ManualScheduler scheduler_;
  QueuedLabelsReader reader_;
  std::vector<std::string> log_;
  UnlabeledTypeCache cache_;
};

TEST_F(UnlabeledTypeCacheTest, ReadsOncePaidByTheCallerThenKeepsTheAnswerForTheTtl) {
  Answer first;
  Lookup(first);
  ASSERT_EQ(reader_.pending(), 1u);
  EXPECT_FALSE(first.answered);
  QueuedLabelsReader::PendingRead read = reader_.Next();
  EXPECT_EQ(read.who.token, kToken);
  EXPECT_EQ(read.who.flow.name, "caller:test");
  EXPECT_EQ(read.from, "contacts");
  EXPECT_EQ(read.to, "companies");
  EXPECT_EQ(read.deadline, scheduler_.Now() + options_.read_timeout);
  std::move(read.done)(UnlabeledTypes{279});
  ASSERT_TRUE(first.answered);
  EXPECT_THAT(first.types, Pointee(UnorderedElementsAre(279)));

  scheduler_.AdvanceBy(options_.ttl - absl::Seconds(1));
  Answer kept;
  Lookup(kept);
  EXPECT_TRUE(kept.answered);
  EXPECT_THAT(kept.types, Pointee(UnorderedElementsAre(279)));
  EXPECT_EQ(reader_.pending(), 0u);

  scheduler_.AdvanceBy(absl::Seconds(1));
  Answer expired;
  Lookup(expired);
  EXPECT_FALSE(expired.answered);
  ASSERT_EQ(reader_.pending(), 1u);
  reader_.AnswerNext(UnlabeledTypes{280});
  EXPECT_THAT(expired.types, Pointee(UnorderedElementsAre(280)));
  EXPECT_THAT(log_, IsEmpty());
}

TEST_F(UnlabeledTypeCacheTest, LookupsDuringAReadShareIt) {
  Answer answers[3];
  for (Answer& answer : answers) Lookup(answer);
  ASSERT_EQ(reader_.pending(), 1u);
  reader_.AnswerNext(UnlabeledTypes{279});
  for (const Answer& answer : answers) {
    EXPECT_TRUE(answer.answered);
    EXPECT_THAT(answer.types, Pointee(UnorderedElementsAre(279)));
  }
}

TEST_F(UnlabeledTypeCacheTest, EachTokenAndPairAndDirectionIsReadApart) {
  Answer answers[4];
  Lookup(answers[0]);
  Lookup(answers[1], "pat-another-token");
  Lookup(answers[2], kToken, "companies", "contacts");
  Lookup(answers[3], kToken, "contacts", "deals");
  EXPECT_EQ(reader_.pending(), 4u);
  for (int i = 0; i < 4; ++i) reader_.AnswerNext(UnlabeledTypes{i});
  for (int i = 0; i < 4; ++i) EXPECT_THAT(answers[i].types, Pointee(ElementsAre(i)));
}

TEST_F(UnlabeledTypeCacheTest, AFailedReadFailsOpenWithALogLineAndIsRememberedBriefly) {
  Answer waiting[2];
  for (Answer& answer : waiting) Lookup(answer);
  reader_.AnswerNext(
      absl::ResourceExhaustedError("HubSpot's rate limit lets this token's next "
                                   "request go in 9.5s"));
  for (const Answer& answer : waiting) {
    EXPECT_TRUE(answer.answered);
    EXPECT_EQ(answer.types, nullptr);
  }
  ASSERT_THAT(log_, SizeIs(1));
  EXPECT_THAT(log_[0], HasSubstr("cannot read the association types of contacts to companies "
                                 "(RESOURCE_EXHAUSTED: HubSpot's rate limit"));
  EXPECT_THAT(log_[0], HasSubstr("for 1m its labels calls go unchecked"));
  EXPECT_THAT(log_[0], Not(HasSubstr(kToken)));

  // Not read again for a while: calls would each spend a request on it.
  scheduler_.AdvanceBy(options_.failure_ttl - absl::Seconds(1));
  Answer remembered;
  Lookup(remembered);
  EXPECT_TRUE(remembered.answered);
  EXPECT_EQ(remembered.types, nullptr);
  EXPECT_EQ(reader_.pending(), 0u);

  scheduler_.AdvanceBy(absl::Seconds(1));
  Answer again;
  Lookup(again);
  ASSERT_EQ(reader_.pending(), 1u);
  reader_.AnswerNext(UnlabeledTypes{279});
  EXPECT_THAT(again.types, Pointee(UnorderedElementsAre(279)));
}

TEST_F(UnlabeledTypeCacheTest, FailureLinesAreRateLimitedAndCountWhatTheyLeftOut) {
  const char* pairs[][2] = {{"contacts", "companies"}, {"contacts", "deals"}, {"deals", "tickets"}};
  Answer answers[3];
  Lookup(answers[0], kToken, pairs[0][0], pairs[0][1]);
  reader_.AnswerNext(absl::UnavailableError("HubSpot answered 503"));
  Lookup(answers[1], kToken, pairs[1][0], pairs[1][1]);
  reader_.AnswerNext(absl::UnavailableError("HubSpot answered 503"));
  EXPECT_THAT(log_, SizeIs(1));

  scheduler_.AdvanceBy(options_.log_interval);
  Lookup(answers[2], kToken, pairs[2][0], pairs[2][1]);
  reader_.AnswerNext(absl::DeadlineExceededError("no answer in time"));
  ASSERT_THAT(log_, SizeIs(2));
  EXPECT_THAT(log_[1], HasSubstr("deals to tickets (DEADLINE_EXCEEDED: no answer in time)"));
  EXPECT_THAT(log_[1], HasSubstr("(1 more failed reads since the last line)"));
}

TEST(UnlabeledTypeCacheTtlTest, ATtlOfZeroReadsForEveryLookupButStillSharesReads) {
  UnlabeledTypeCacheOptions options;
  options.ttl = absl::ZeroDuration();
  ManualScheduler scheduler;
  QueuedLabelsReader reader;
  UnlabeledTypeCache cache(options, reader, scheduler, [](absl::string_view) {});
  int answered = 0;
  auto lookup = [&] {
    cache.Lookup({kToken, Lane::kInteractive, {"caller:test"}}, "contacts", "companies",
                 [&answered](std::shared_ptr<const UnlabeledTypes>) { ++answered; });
  };
  lookup();
  lookup();
  ASSERT_EQ(reader.pending(), 1u);
  reader.AnswerNext(UnlabeledTypes{279});
  EXPECT_EQ(answered, 2);
  lookup();
  EXPECT_EQ(reader.pending(), 1u);
  // A failure is not kept past the ttl either.
  reader.AnswerNext(absl::UnavailableError("HubSpot answered 503"));
  lookup();
  EXPECT_EQ(reader.pending(), 1u);
  reader.AnswerNext(UnlabeledTypes{279});
  EXPECT_EQ(answered, 4);
}

}  // namespace
}  // namespace hubspot_gateway
