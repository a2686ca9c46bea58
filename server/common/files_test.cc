#include "server/common/files.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;

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

TEST(FilesTest, PortFileInMissingDirectoryFails) {
  EXPECT_FALSE(WritePortFile(TestPath("no/such/dir/port"), 1).ok());
}

}  // namespace
}  // namespace hubspot_gateway
