#include "client/failed_file.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
}

std::string Contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Exists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

TEST(FailedFileTest, TheFileAppearsWholeOnlyOnCommit) {
  const std::string path = TempPath("failed.csv");
  std::ofstream(path) << "old contents\n";
  auto file = FailedFile::Create(path);
  ASSERT_TRUE(file.ok()) << file.status();
  for (int i = 0; i < 20000; ++i) file->WriteLine(absl::StrCat(i, ",", i + 1));
  EXPECT_EQ(Contents(path), "old contents\n");  // Until Commit, the old file stays.
  ASSERT_TRUE(file->Commit().ok());
  const std::string written = Contents(path);
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 20000);
  EXPECT_EQ(written.substr(0, 8), "0,1\n1,2\n");
}

TEST(FailedFileTest, AMissingDirectoryFailsAtOnceNamingThePath) {
  const std::string path = TempPath("no-such-dir/failed.csv");
  const auto file = FailedFile::Create(path);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(file.status().message(), HasSubstr(path));
  EXPECT_THAT(file.status().message(), HasSubstr("No such file or directory"));
}

TEST(FailedFileTest, AFullDeviceFailsOnCommit) {
  auto file = FailedFile::Create("/dev/full");
  ASSERT_TRUE(file.ok()) << file.status();
  file->WriteLine("1,2");
  const absl::Status committed = file->Commit();
  EXPECT_EQ(committed.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(committed.message(), HasSubstr("/dev/full"));
  EXPECT_THAT(committed.message(), HasSubstr("No space left on device"));
}

TEST(FailedFileTest, AFileSizeLimitFailsAndLeavesNoPartialFile) {
  const std::string path = TempPath("limited.csv");
  std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit old_limit;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct rlimit limit = old_limit;
  limit.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  auto file = FailedFile::Create(path);
  ASSERT_TRUE(file.ok());
  for (int i = 0; i < 500; ++i) file->WriteLine(absl::StrCat(1000000 + i, ",", 5000000 + i));
  const absl::Status committed = file->Commit();
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  EXPECT_EQ(committed.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(committed.message(), HasSubstr(path));
  EXPECT_FALSE(Exists(path));
}

TEST(FailedFileTest, NothingCommittedLeavesNoTemporaryFile) {
  const std::string dir = TempPath("abandoned");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  { ASSERT_TRUE(FailedFile::Create(dir + "/failed.csv").ok()); }
  EXPECT_EQ(rmdir(dir.c_str()), 0);  // Empty again.
}

}  // namespace
}  // namespace hubspot_gateway
