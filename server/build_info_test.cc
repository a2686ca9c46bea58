#include "server/build_info.h"

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(BuildInfoTest, ReleaseBuildSaysSo) {
  const BuildInfo info{"1.2.3", "0123456789abcdef0123456789abcdef01234567", true};
  EXPECT_EQ(BuildKind(info), "release");
  EXPECT_EQ(VersionText(info),
            "hubspot-archive-gateway 1.2.3\n"
            "commit 0123456789abcdef0123456789abcdef01234567\n"
            "release build (optimized, NDEBUG)\n");
}

TEST(BuildInfoTest, DevelopmentBuildNamesTheReleaseCommand) {
  const BuildInfo info{"1.2.3-rc.1", "unknown", false};
  EXPECT_EQ(BuildKind(info), "development");
  const std::string text = VersionText(info);
  EXPECT_NE(text.find("hubspot-archive-gateway 1.2.3-rc.1\ncommit unknown\n"), std::string::npos);
  EXPECT_NE(text.find("development build (NDEBUG not defined"), std::string::npos);
  EXPECT_NE(text.find("--config=release"), std::string::npos);
}

}  // namespace
}  // namespace hubspot_gateway
