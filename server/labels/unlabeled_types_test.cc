#include "server/labels/unlabeled_types.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/hubspot/hubspot_json.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

v1::BatchResult LabelsAnswer(const char* body) {
  absl::StatusOr<v1::BatchResult> decoded = DecodeAssociationLabels(body);
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  return decoded.value_or(v1::BatchResult());
}

TEST(UnlabeledTypesOfTest, HubSpotDefinedTypesWithoutALabelAreUnlabeled) {
  const auto unlabeled = UnlabeledTypesOf(
      LabelsAnswer(R"({"results":[{"category":"HUBSPOT_DEFINED","typeId":279,"label":null},)"
                   R"({"category":"HUBSPOT_DEFINED","typeId":1,"label":"Primary"},)"
                   R"({"category":"USER_DEFINED","typeId":36,"label":"Billing contact"},)"
                   R"({"category":"USER_DEFINED","typeId":37},)"
                   R"({"category":"HUBSPOT_DEFINED","typeId":400,"label":""}]})"));
  ASSERT_TRUE(unlabeled.ok()) << unlabeled.status();
  EXPECT_THAT(*unlabeled, UnorderedElementsAre(279, 400));
}

TEST(UnlabeledTypesOfTest, AnAnswerListingNoTypeSaysNothing) {
  EXPECT_EQ(UnlabeledTypesOf(LabelsAnswer(R"({"results":[]})")).status().code(),
            absl::StatusCode::kInternal);
  // A 2xx without a body reaches the reader as a BatchResult without results.
  EXPECT_EQ(UnlabeledTypesOf(v1::BatchResult()).status().code(), absl::StatusCode::kInternal);
}

TEST(UnlabeledTypesOfTest, AnItemThatIsNotATypeIsInternal) {
  v1::BatchResult answer;
  answer.add_results()->set_string_value("279");
  EXPECT_THAT(UnlabeledTypesOf(answer).status().message(), HasSubstr("results[0]"));
}

v1::ArchiveAssociationLabelsRequest Request() {
  v1::ArchiveAssociationLabelsRequest request;
  request.set_from_object_type("contacts");
  request.set_to_object_type("companies");
  const struct {
    const char* from;
    const char* to;
    std::vector<std::pair<v1::AssociationCategory, int>> types;
  } inputs[] = {
      {"101", "201", {{v1::USER_DEFINED, 36}}},
      {"102", "202", {{v1::HUBSPOT_DEFINED, 1}, {v1::USER_DEFINED, 279}}},
      {"103", "203", {{v1::HUBSPOT_DEFINED, 279}, {v1::HUBSPOT_DEFINED, 1}}},
  };
  for (const auto& in : inputs) {
    v1::LabelArchiveInput* input = request.add_inputs();
    input->mutable_from_object()->set_id(in.from);
    input->mutable_to_object()->set_id(in.to);
    for (const auto& [category, id] : in.types) {
      v1::AssociationType* type = input->add_types();
      type->set_category(category);
      type->set_type_id(id);
    }
  }
  return request;
}

TEST(HubSpotDefinedTypesListedTest, CopiesOnlyHubSpotDefinedTypesWithTheirInputs) {
  const std::vector<ListedHubSpotType> listed = HubSpotDefinedTypesListed(Request());
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].input, 1);
  EXPECT_EQ(listed[0].from_id, "102");
  EXPECT_EQ(listed[0].to_id, "202");
  EXPECT_EQ(listed[0].type_id, 1);
  EXPECT_EQ(listed[1].input, 2);
  EXPECT_EQ(listed[1].type_id, 279);
  EXPECT_EQ(listed[2].input, 2);
  EXPECT_EQ(listed[2].type_id, 1);
}

TEST(RefuseUnlabeledTypesTest, NamesTheInputItsIdsAndTheTypeAndSaysWhatToDo) {
  const absl::Status refused =
      RefuseUnlabeledTypes(HubSpotDefinedTypesListed(Request()), {279}, "contacts", "companies");
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(),
              HasSubstr("inputs[2] (from 103 to 203) lists HUBSPOT_DEFINED 279: the unlabeled "
                        "association type of contacts to companies"));
  EXPECT_THAT(refused.message(), HasSubstr("whole association"));
  EXPECT_THAT(refused.message(), HasSubstr("remove_association_if_unlabeled"));
  // USER_DEFINED 279 (input 1) is a label like any other.
  EXPECT_THAT(refused.message(), Not(HasSubstr("inputs[1]")));
}

TEST(RefuseUnlabeledTypesTest, LabeledHubSpotTypesPass) {
  EXPECT_TRUE(
      RefuseUnlabeledTypes(HubSpotDefinedTypesListed(Request()), {280}, "contacts", "companies")
          .ok());
  EXPECT_TRUE(RefuseUnlabeledTypes({}, {279}, "contacts", "companies").ok());
}

TEST(RefuseUnlabeledTypesTest, NamesTheFirstFiveInputsAndCountsTheRest) {
  std::vector<ListedHubSpotType> listed;
  for (int i = 0; i < 8; ++i) {
    listed.push_back({i, std::to_string(100 + i), std::to_string(200 + i), 279});
    listed.push_back({i, std::to_string(100 + i), std::to_string(200 + i), 279});
  }
  const absl::Status refused = RefuseUnlabeledTypes(listed, {279}, "contacts", "companies");
  EXPECT_THAT(refused.message(), HasSubstr("inputs[4] (from 104 to 204)"));
  EXPECT_THAT(refused.message(), Not(HasSubstr("inputs[5]")));
  EXPECT_THAT(refused.message(), HasSubstr("; and 3 more inputs:"));
  // Each input once, though it lists the type twice.
  EXPECT_THAT(refused.message(), Not(HasSubstr("inputs[0] (from 100 to 200) lists HUBSPOT_DEFINED "
                                               "279; inputs[0]")));
}

}  // namespace
}  // namespace hubspot_gateway
