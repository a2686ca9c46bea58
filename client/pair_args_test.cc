#include "client/pair_args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(ParsePairTest, OneFromManyTo) {
  const auto input = ParsePair("101:201,202");
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(input->from_object().id(), "101");
  ASSERT_EQ(input->to_objects_size(), 2);
  EXPECT_EQ(input->to_objects(1).id(), "202");
}

TEST(ParsePairTest, RejectsMalformedText) {
  for (const char* text : {"", "101", "101:", ":201", "1:2:3"}) {
    EXPECT_EQ(ParsePair(text).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(ExtractPairArgsTest, RemovesEveryPairKeepingOtherFlags) {
  std::vector<std::string> args = {"client", "--pair=1:2", "--json",
                                   "--pair", "3:4,5",      "--from_type=contacts"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  EXPECT_THAT(ExtractPairArgs(argc, argv.data()), testing::ElementsAre("1:2", "3:4,5"));
  ASSERT_EQ(argc, 3);
  EXPECT_STREQ(argv[1], "--json");
  EXPECT_STREQ(argv[2], "--from_type=contacts");
}

}  // namespace
}  // namespace hubspot_gateway
