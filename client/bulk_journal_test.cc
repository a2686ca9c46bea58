#include "client/bulk_journal.h"

#include <fstream>

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

std::string TempFile() {
  const char* dir = std::getenv("TEST_TMPDIR");
  static int counter = 0;
  return std::string(dir != nullptr ? dir : "/tmp") + "/journal-" + std::to_string(++counter);
}

TEST(BulkJournalTest, RecordsAreReadBackByTheNextRun) {
  const std::string path = TempFile();
  {
    auto journal = BulkJournal::Open(path, 100);
    ASSERT_TRUE(journal.ok()) << journal.status();
    EXPECT_EQ(journal->Acknowledged(0), nullptr);
    ASSERT_TRUE(journal->Record(3, {}).ok());
    ASSERT_TRUE(journal->Record(0, {{"1", "2"}, {"3", "4"}}).ok());
  }
  auto journal = BulkJournal::Open(path, 100);
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_EQ(journal->acknowledged_count(), 2);
  ASSERT_NE(journal->Acknowledged(3), nullptr);
  EXPECT_TRUE(journal->Acknowledged(3)->empty());
  ASSERT_NE(journal->Acknowledged(0), nullptr);
  ASSERT_EQ(journal->Acknowledged(0)->size(), 2u);
  EXPECT_EQ((*journal->Acknowledged(0))[1].to, "4");
  EXPECT_EQ(journal->Acknowledged(1), nullptr);
}

TEST(BulkJournalTest, ALineCutShortByACrashIsIgnored) {
  const std::string path = TempFile();
  ASSERT_TRUE(BulkJournal::Open(path, 10).ok());
  std::ofstream(path, std::ios::app) << "5 .\n12";  // "12" was to be "123 .".
  auto journal = BulkJournal::Open(path, 10);
  ASSERT_TRUE(journal.ok());
  EXPECT_NE(journal->Acknowledged(5), nullptr);
  EXPECT_EQ(journal->Acknowledged(12), nullptr);
  EXPECT_EQ(journal->acknowledged_count(), 1);
  ASSERT_TRUE(journal->Record(7, {}).ok());
  auto reopened = BulkJournal::Open(path, 10);
  ASSERT_TRUE(reopened.ok());
  EXPECT_NE(reopened->Acknowledged(7), nullptr);
  EXPECT_EQ(reopened->Acknowledged(127), nullptr);
}

TEST(BulkJournalTest, AJournalOfAnotherSplitIsRefused) {
  const std::string path = TempFile();
  ASSERT_TRUE(BulkJournal::Open(path, 100).ok());
  EXPECT_EQ(BulkJournal::Open(path, 50).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hubspot_gateway
