#include "simulator/batch_request_parser.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_simulator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ParseArchiveBodyTest, ParsesAGoodBody) {
  const ParsedBatch<ArchiveInput> batch = ParseArchiveBody(
      R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"},{"id":"3"}]},
                    {"from":{"id":"4"},"to":[{"id":"5"}]}]})",
      100);
  ASSERT_FALSE(batch.error.has_value()) << batch.error->message;
  EXPECT_EQ(batch.received_inputs, 2u);
  ASSERT_EQ(batch.inputs.size(), 2u);
  EXPECT_EQ(batch.inputs[0].from_id, "1");
  EXPECT_THAT(batch.inputs[0].to_ids, ElementsAre("2", "3"));
  EXPECT_EQ(batch.inputs[1].from_id, "4");
  EXPECT_THAT(batch.inputs[1].to_ids, ElementsAre("5"));
}

TEST(ParseArchiveBodyTest, IgnoresUnknownFields) {
  const ParsedBatch<ArchiveInput> batch = ParseArchiveBody(
      R"({"inputs":[{"from":{"id":"1","x":1},"to":[{"id":"2"}],"y":2}],"z":3})", 100);
  EXPECT_FALSE(batch.error.has_value());
}

struct BadBody {
  const char* body;
  const char* in;
  const char* code;
};

class ParseArchiveBodyErrorTest : public ::testing::TestWithParam<BadBody> {};

TEST_P(ParseArchiveBodyErrorTest, ReportsWhereAndWhy) {
  const ParsedBatch<ArchiveInput> batch = ParseArchiveBody(GetParam().body, 2);
  ASSERT_TRUE(batch.error.has_value()) << GetParam().body;
  EXPECT_EQ(batch.error->in, GetParam().in);
  EXPECT_EQ(batch.error->code, GetParam().code);
  EXPECT_THAT(batch.error->message, StartsWith("Invalid input JSON on line 1: "));
  EXPECT_THAT(batch.error->message, HasSubstr(batch.error->detail));
  EXPECT_TRUE(batch.inputs.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, ParseArchiveBodyErrorTest,
    ::testing::Values(
        BadBody{"", "body", "INVALID_JSON"}, BadBody{R"({"inputs":[)", "body", "INVALID_JSON"},
        BadBody{R"({"inputs":[]} trailing)", "body", "INVALID_JSON"},
        BadBody{R"([1,2])", "body", "INVALID_TYPE"}, BadBody{R"({})", "inputs", "REQUIRED"},
        BadBody{R"({"inputs":{}})", "inputs", "INVALID_TYPE"},
        BadBody{R"({"inputs":[]})", "inputs", "REQUIRED"},
        BadBody{R"({"inputs":[1]})", "inputs[0]", "INVALID_TYPE"},
        BadBody{R"({"inputs":[{"to":[{"id":"2"}]}]})", "inputs[0].from", "REQUIRED"},
        BadBody{R"({"inputs":[{"_from":{"id":"1"},"to":[{"id":"2"}]}]})", "inputs[0].from",
                "REQUIRED"},
        BadBody{R"({"inputs":[{"from":"1","to":[{"id":"2"}]}]})", "inputs[0].from", "INVALID_TYPE"},
        BadBody{R"({"inputs":[{"from":{},"to":[{"id":"2"}]}]})", "inputs[0].from.id", "REQUIRED"},
        BadBody{R"({"inputs":[{"from":{"id":1},"to":[{"id":"2"}]}]})", "inputs[0].from.id",
                "INVALID_TYPE"},
        BadBody{R"({"inputs":[{"from":{"id":"abc"},"to":[{"id":"2"}]}]})", "inputs[0].from.id",
                "INVALID_FORMAT"},
        BadBody{R"({"inputs":[{"from":{"id":""},"to":[{"id":"2"}]}]})", "inputs[0].from.id",
                "INVALID_FORMAT"},
        BadBody{R"({"inputs":[{"from":{"id":"123456789012345678901"},)"
                R"("to":[{"id":"2"}]}]})",
                "inputs[0].from.id", "INVALID_FORMAT"},
        BadBody{R"({"inputs":[{"from":{"id":"1"}}]})", "inputs[0].to", "REQUIRED"},
        BadBody{R"({"inputs":[{"from":{"id":"1"},"to":{"id":"2"}}]})", "inputs[0].to",
                "INVALID_TYPE"},
        BadBody{R"({"inputs":[{"from":{"id":"1"},"to":[]}]})", "inputs[0].to", "REQUIRED"},
        BadBody{R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]},)"
                R"({"from":{"id":"1"},"to":[{"id":"2"},{"id":"-3"}]}]})",
                "inputs[1].to[1].id", "INVALID_FORMAT"},
        BadBody{R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]},)"
                R"({"from":{"id":"1"},"to":[{"id":"2"}]},)"
                R"({"from":{"id":"1"},"to":[{"id":"2"}]}]})",
                "inputs", "TOO_MANY_INPUTS"}));

TEST(ParseArchiveBodyTest, MessagesNameTheProblem) {
  EXPECT_EQ(ParseArchiveBody(R"({"inputs":[{"from":{"id":"x1"},"to":[]}]})", 1).error->detail,
            R"(inputs[0].from.id must be 1 to 20 decimal digits, got "x1")");
  EXPECT_EQ(ParseArchiveBody(R"({"inputs":[1,2,3]})", 2).error->detail,
            "inputs has 3 entries, more than the 2 allowed");
}

TEST(ParseArchiveBodyTest, CountsReceivedInputsEvenWhenInvalid) {
  EXPECT_EQ(ParseArchiveBody(R"({"inputs":[1,2,3]})", 2).received_inputs, 3u);
  EXPECT_EQ(ParseArchiveBody(R"({"inputs":[1,2,3]})", 5).received_inputs, 3u);
  EXPECT_EQ(ParseArchiveBody(R"(nope)", 5).received_inputs, 0u);
}

TEST(ParseArchiveBodyTest, AcceptsExactlyMaxInputs) {
  std::string body = R"({"inputs":[)";
  for (int i = 0; i < 100; ++i) {
    absl::StrAppend(&body, i ? "," : "", R"({"from":{"id":")", i, R"("},"to":[{"id":"1"}]})");
  }
  body += "]}";
  EXPECT_FALSE(ParseArchiveBody(body, 100).error.has_value());
  EXPECT_EQ(ParseArchiveBody(body, 99).error->code, "TOO_MANY_INPUTS");
}

TEST(ParseAssociateBodyTest, ParsesPairs) {
  const ParsedBatch<AssociateInput> batch =
      ParseAssociateBody(R"({"inputs":[{"from":{"id":"1"},"to":{"id":"2"}}]})", 10);
  ASSERT_FALSE(batch.error.has_value());
  ASSERT_EQ(batch.inputs.size(), 1u);
  EXPECT_EQ(batch.inputs[0].from_id, "1");
  EXPECT_EQ(batch.inputs[0].to_id, "2");
  EXPECT_EQ(
      ParseAssociateBody(R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]}]})", 10).error->in,
      "inputs[0].to");
}

TEST(ParseReadBodyTest, ParsesIds) {
  const ParsedBatch<std::string> batch =
      ParseReadBody(R"({"inputs":[{"id":"1"},{"id":"22"}]})", 10);
  ASSERT_FALSE(batch.error.has_value());
  EXPECT_THAT(batch.inputs, ElementsAre("1", "22"));
  EXPECT_EQ(ParseReadBody(R"({"inputs":["1"]})", 10).error->in, "inputs[0]");
}

TEST(ParseLabelArchiveBodyTest, ParsesPairsWithTheirTypes) {
  const ParsedBatch<LabelArchiveInput> batch = ParseLabelArchiveBody(
      R"({"inputs":[{"from":{"id":"1"},"to":{"id":"2"},"types":[
          {"associationCategory":"USER_DEFINED","associationTypeId":36},
          {"associationCategory":"HUBSPOT_DEFINED","associationTypeId":1}]}]})",
      100);
  ASSERT_FALSE(batch.error.has_value()) << batch.error->message;
  ASSERT_EQ(batch.inputs.size(), 1u);
  EXPECT_EQ(batch.inputs[0].from_id, "1");
  EXPECT_EQ(batch.inputs[0].to_id, "2");
  EXPECT_THAT(batch.inputs[0].types, ElementsAre(AssociationLabel{"USER_DEFINED", 36},
                                                 AssociationLabel{"HUBSPOT_DEFINED", 1}));
}

TEST(ParseLabelArchiveBodyTest, RejectsAnUnknownCategoryAndMissingTypes) {
  const auto unknown = ParseLabelArchiveBody(
      R"({"inputs":[{"from":{"id":"1"},"to":{"id":"2"},"types":[
          {"associationCategory":"MADE_UP","associationTypeId":36}]}]})",
      100);
  ASSERT_TRUE(unknown.error.has_value());
  EXPECT_EQ(unknown.error->in, "inputs[0].types[0].associationCategory");
  EXPECT_EQ(unknown.error->code, "INVALID_ENUM");
  EXPECT_THAT(unknown.error->message, HasSubstr("MADE_UP"));

  const auto missing =
      ParseLabelArchiveBody(R"({"inputs":[{"from":{"id":"1"},"to":{"id":"2"}}]})", 100);
  ASSERT_TRUE(missing.error.has_value());
  EXPECT_EQ(missing.error->in, "inputs[0].types");
  EXPECT_EQ(missing.error->code, "REQUIRED");

  const auto empty =
      ParseLabelArchiveBody(R"({"inputs":[{"from":{"id":"1"},"to":{"id":"2"},"types":[]}]})", 100);
  ASSERT_TRUE(empty.error.has_value());
  EXPECT_EQ(empty.error->in, "inputs[0].types");

  const auto to_list = ParseLabelArchiveBody(
      R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}],"types":[
          {"associationCategory":"WORK","associationTypeId":1}]}]})",
      100);
  ASSERT_TRUE(to_list.error.has_value());
  EXPECT_EQ(to_list.error->in, "inputs[0].to");

  const auto type_id = ParseLabelArchiveBody(
      R"({"inputs":[{"from":{"id":"1"},"to":{"id":"2"},"types":[
          {"associationCategory":"WORK","associationTypeId":"36"}]}]})",
      100);
  ASSERT_TRUE(type_id.error.has_value());
  EXPECT_EQ(type_id.error->in, "inputs[0].types[0].associationTypeId");
}

TEST(InvalidPathParameterTest, NamesTheParameter) {
  const ValidationError error = InvalidPathParameter("fromObjectType", "bad type");
  EXPECT_EQ(error.in, "fromObjectType");
  EXPECT_EQ(error.code, "INVALID_FORMAT");
  EXPECT_THAT(error.message, HasSubstr("'bad type'"));
}

}  // namespace
}  // namespace hubspot_simulator
