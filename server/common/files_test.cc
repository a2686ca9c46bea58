#include "server/common/files.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string TestPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(FilesTest, PortFileRoundTripsThroughRead) {
  const std::string path = TestPath("port");
  ASSERT_TRUE(WritePortFile(path, 50051).ok());
  const absl::StatusOr<std::string> contents = ReadFileToString("--port_file", path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(*contents, "50051\n");
}

TEST(FilesTest, MissingFileNamesTheSettingAndPath) {
  const absl::StatusOr<std::string> contents =
      ReadFileToString("--callers_file", TestPath("absent.json"));
  ASSERT_EQ(contents.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(contents.status().message(), HasSubstr("--callers_file"));
  EXPECT_THAT(contents.status().message(), HasSubstr("absent.json"));
}

TEST(FilesTest, ASecretFileReadableByEveryoneIsNamedWithItsModeButNotItsContents) {
  const std::string path = TestPath("token");
  std::ofstream(path) << "pat-secret-value";
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  const std::optional<std::string> warning = ReadableByOthersWarning("--hubspot_token_file", path);
  ASSERT_TRUE(warning.has_value());
  EXPECT_THAT(*warning, HasSubstr("--hubspot_token_file " + path));
  EXPECT_THAT(*warning, HasSubstr("mode 0644"));
  EXPECT_THAT(*warning, Not(HasSubstr("pat-secret-value")));
}

TEST(FilesTest, ASecretFileForItsOwnerOrGroupIsFine) {
  const std::string path = TestPath("key");
  std::ofstream(path) << "secret";
  for (mode_t mode : {0600, 0640, 0440, 0400}) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    EXPECT_EQ(ReadableByOthersWarning("--tls_key", path), std::nullopt) << mode;
  }
  // A file that cannot be examined is for the read to report.
  EXPECT_EQ(ReadableByOthersWarning("--tls_key", TestPath("absent")), std::nullopt);
}

TEST(FilesTest, PortFileInMissingDirectoryFails) {
  EXPECT_FALSE(WritePortFile(TestPath("no/such/dir/port"), 1).ok());
}

}  // namespace
}  // namespace hubspot_gateway
