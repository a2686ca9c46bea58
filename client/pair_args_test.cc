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

TEST(ParseLabelTest, CategoryAndTypeId) {
  const auto label = ParseLabel("USER_DEFINED:36");
  ASSERT_TRUE(label.ok()) << label.status();
  EXPECT_EQ(label->category(), hubspot::crm::associations::v1::USER_DEFINED);
  EXPECT_EQ(label->type_id(), 36);
}

TEST(ParseLabelTest, RejectsUnknownCategoriesAndNonNumbers) {
  for (const char* text : {"", "USER_DEFINED", "FRIENDS:1", "ASSOCIATION_CATEGORY_UNSPECIFIED:1",
                           "WORK:x", "WORK:1:2", "WORK:99999999999"}) {
    EXPECT_EQ(ParseLabel(text).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(LabelInputsTest, OneInputPerPairWithEveryLabel) {
  const auto pair = ParsePair("101:201,202");
  const auto label = ParseLabel("WORK:7");
  ASSERT_TRUE(pair.ok() && label.ok());
  const auto inputs = LabelInputs({*pair}, {*label, *label});
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[1].from_object().id(), "101");
  EXPECT_EQ(inputs[1].to_object().id(), "202");
  EXPECT_EQ(inputs[1].types_size(), 2);
}

TEST(ExtractRepeatedArgsTest, RemovesEveryValueKeepingOtherFlags) {
  std::vector<std::string> args = {"client", "--pair=1:2", "--json",
                                   "--pair", "3:4,5",      "--from_type=contacts"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  EXPECT_THAT(ExtractRepeatedArgs("pair", argc, argv.data()), testing::ElementsAre("1:2", "3:4,5"));
  ASSERT_EQ(argc, 3);
  EXPECT_STREQ(argv[1], "--json");
  EXPECT_STREQ(argv[2], "--from_type=contacts");
}

}  // namespace
}  // namespace hubspot_gateway
