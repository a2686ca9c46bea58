#include "server/common/strict_json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;

TEST(StrictJsonTest, ParsesJson) {
  auto parsed = ParseStrictJson(R"({"from":"1","to":2,"nested":{"to":[{"to":3}]}})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)["from"], "1");
  EXPECT_EQ((*parsed)["nested"]["to"][0]["to"], 3);
}

TEST(StrictJsonTest, RefusesAKeyTwiceInOneObjectNamingIt) {
  auto parsed = ParseStrictJson(R"({"from":"1","to":"2","to":"3"})");
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("\"to\" appears twice"));
  EXPECT_FALSE(ParseStrictJson(R"({"a":[{"b":1,"b":2}]})").ok());
  EXPECT_FALSE(ParseStrictJson(R"([{"a":{"x":1}},{"a":1,"a":{}}])").ok());
  // The same key in sibling or nested objects is fine.
  EXPECT_TRUE(ParseStrictJson(R"([{"a":1},{"a":2}])").ok());
  EXPECT_TRUE(ParseStrictJson(R"({"a":{"a":{"a":1}},"b":{"a":2}})").ok());
}

TEST(StrictJsonTest, RefusesWhatIsNotJson) {
  EXPECT_EQ(ParseStrictJson("{\"a\":").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseStrictJson("").ok());
  EXPECT_FALSE(ParseStrictJson("1 2").ok());
}

}  // namespace
}  // namespace hubspot_gateway
