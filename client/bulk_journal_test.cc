#include "client/bulk_journal.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;

std::string TempFile() {
  const char* dir = std::getenv("TEST_TMPDIR");
  static int counter = 0;
  return std::string(dir != nullptr ? dir : "/tmp") + "/journal-" + std::to_string(++counter);
}

std::string Contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

JobIdentity Job(const std::string& input_sha256 = std::string(64, 'a')) {
  JobIdentity job;
  job.input_sha256 = input_sha256;
  job.pairs_per_message = 100;
  job.from_object_type = "contacts";
  job.to_object_type = "companies";
  return job;
}

const std::vector<IdPair> kRequest0 = {{"1", "2"}, {"3", "4"}, {"5", "6"}};
const std::vector<IdPair> kRequest3 = {{"7", "8"}};

TEST(BulkJournalTest, RecordsAreReadBackByTheNextRun) {
  const std::string path = TempFile();
  {
    auto journal = BulkJournal::Open(path, Job());
    ASSERT_TRUE(journal.ok()) << journal.status();
    EXPECT_EQ(journal->Acknowledged(0, kRequest0), nullptr);
    ASSERT_TRUE(journal->Record(3, kRequest3, {}).ok());
    ASSERT_TRUE(journal->Record(0, kRequest0, {{"1", "2"}, {"3", "4"}}).ok());
  }
  auto journal = BulkJournal::Open(path, Job());
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_EQ(journal->acknowledged_count(), 2);
  EXPECT_EQ(journal->damaged_count(), 0);
  ASSERT_NE(journal->Acknowledged(3, kRequest3), nullptr);
  EXPECT_TRUE(journal->Acknowledged(3, kRequest3)->empty());
  ASSERT_NE(journal->Acknowledged(0, kRequest0), nullptr);
  ASSERT_EQ(journal->Acknowledged(0, kRequest0)->size(), 2u);
  EXPECT_EQ((*journal->Acknowledged(0, kRequest0))[1].to, "4");
  EXPECT_EQ(journal->Acknowledged(1, kRequest0), nullptr);
  // A record counts only for the pairs it was written for.
  EXPECT_EQ(journal->Acknowledged(3, kRequest0), nullptr);
}

TEST(BulkJournalTest, ALineCutShortByACrashIsNotDone) {
  const std::string path = TempFile();
  {
    auto journal = BulkJournal::Open(path, Job());
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE(journal->Record(5, kRequest3, {}).ok());
  }
  const std::string whole = Contents(path);
  std::string cut;
  {
    auto journal = BulkJournal::Open(path, Job());
    ASSERT_TRUE(journal->Record(12, kRequest0, {}).ok());
    cut = Contents(path).substr(whole.size());
  }
  std::ofstream(path, std::ios::trunc) << whole << cut.substr(0, cut.size() - 5);
  {
    auto journal = BulkJournal::Open(path, Job());
    ASSERT_TRUE(journal.ok());
    EXPECT_NE(journal->Acknowledged(5, kRequest3), nullptr);
    EXPECT_EQ(journal->Acknowledged(12, kRequest0), nullptr);
    EXPECT_EQ(journal->acknowledged_count(), 1);
    EXPECT_EQ(journal->damaged_count(), 1);
    ASSERT_TRUE(journal->Record(7, kRequest3, {}).ok());
  }
  auto reopened = BulkJournal::Open(path, Job());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_NE(reopened->Acknowledged(7, kRequest3), nullptr);
  EXPECT_EQ(reopened->acknowledged_count(), 2);
}

// Issue 21: one garbage line in place of a real record made 100 failed pairs
// vanish and wrote a bogus pair. Now a damaged record is "not done".
TEST(BulkJournalTest, AGarbledOrForgedRecordIsNotDone) {
  const std::string path = TempFile();
  {
    auto journal = BulkJournal::Open(path, Job());
    ASSERT_TRUE(journal->Record(0, kRequest0, {{"1", "2"}}).ok());
    ASSERT_TRUE(journal->Record(3, kRequest3, {}).ok());
  }
  std::string text = Contents(path);
  // A bit flipped in request 0's failed pair, and a line in the old format.
  text = absl::StrReplaceAll(text, {{" 1,2 ", " 1,9 "}});
  text += "4 .\n";
  std::ofstream(path, std::ios::trunc) << text;
  auto journal = BulkJournal::Open(path, Job());
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_EQ(journal->Acknowledged(0, kRequest0), nullptr);
  EXPECT_NE(journal->Acknowledged(3, kRequest3), nullptr);
  EXPECT_EQ(journal->acknowledged_count(), 1);
  EXPECT_EQ(journal->damaged_count(), 2);
}

// Issue 21: an old journal used with another input skipped everything.
TEST(BulkJournalTest, AJournalOfAnotherJobIsRefused) {
  const std::string path = TempFile();
  ASSERT_TRUE(BulkJournal::Open(path, Job()).ok());
  JobIdentity other_split = Job();
  other_split.pairs_per_message = 50;
  JobIdentity other_types = Job();
  other_types.to_object_type = "deals";
  JobIdentity other_format = Job();
  other_format.format = PairFormat::kJsonLines;
  for (const JobIdentity& job :
       {Job(std::string(64, 'b')), Job("stdin"), other_split, other_types, other_format}) {
    const auto opened = BulkJournal::Open(path, job);
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(opened.status().message(), HasSubstr("written for another job"));
    EXPECT_THAT(opened.status().message(), HasSubstr("give any other input a new journal"));
  }
  EXPECT_TRUE(BulkJournal::Open(path, Job()).ok());
}

TEST(BulkJournalTest, AJournalWithADamagedHeaderOrOfTheOldFormatIsRefused) {
  for (const std::string text :
       {"# sample_client bulk journal: pairs_per_message=100\n0 .\n", "garbage\n", "\n"}) {
    const std::string path = TempFile();
    std::ofstream(path) << text;
    EXPECT_EQ(BulkJournal::Open(path, Job()).status().code(), absl::StatusCode::kFailedPrecondition)
        << text;
  }
}

// Issue 21: two clients on one journal interleaved their lines.
TEST(BulkJournalTest, ASecondClientOnTheSameJournalIsRefused) {
  const std::string path = TempFile();
  {
    auto first = BulkJournal::Open(path, Job());
    ASSERT_TRUE(first.ok());
    // Another process, as a second client would be.
    const pid_t child = fork();
    if (child == 0) {
      const auto second = BulkJournal::Open(path, Job());
      _exit(second.status().code() == absl::StatusCode::kFailedPrecondition &&
                    second.status().message().find("another client") != std::string::npos
                ? 0
                : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  // The first one closed: the lock is free.
  EXPECT_TRUE(BulkJournal::Open(path, Job()).ok());
}

}  // namespace
}  // namespace hubspot_gateway
