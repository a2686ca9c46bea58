#include "server/hubspot/answer_split.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

void AddInput(v1::ArchiveAssociationsRequest& request, const std::string& from,
              const std::vector<std::string>& to) {
  auto* input = request.add_inputs();
  input->mutable_from_object()->set_id(from);
  for (const std::string& id : to) input->add_to_objects()->set_id(id);
}

v1::StandardError Error(const std::string& message) {
  v1::StandardError error;
  error.set_status("error");
  error.set_message(message);
  return error;
}

void AddContext(v1::StandardError& error, const std::string& key,
                const std::vector<std::string>& values) {
  for (const std::string& value : values) (*error.mutable_context())[key].add_values(value);
}

// The simulator's (and HubSpot's) per-input error for a pair that is not associated.
v1::StandardError NotAssociated(const std::string& from, const std::string& to) {
  v1::StandardError error = Error("contacts " + from + " is not associated with companies " + to);
  error.set_category("OBJECT_NOT_FOUND");
  AddContext(error, "fromIds", {from});
  AddContext(error, "toIds", {to});
  return error;
}

std::vector<std::string> Messages(const v1::BatchResult& result) {
  std::vector<std::string> messages;
  for (const auto& error : result.errors()) messages.push_back(error.message());
  return messages;
}

std::vector<std::string> Values(const v1::StandardError& error, const std::string& key) {
  auto list = error.context().find(key);
  if (list == error.context().end()) return {};
  return {list->second.values().begin(), list->second.values().end()};
}

// A result as HubSpot's 2026-03 BatchResponse lists it: {"from":{"id":F},"to":[{"id":T}...]},
// ids as JSON numbers.
google::protobuf::Value Result(double from, const std::vector<double>& to) {
  google::protobuf::Value result;
  auto& fields = *result.mutable_struct_value()->mutable_fields();
  (*fields["from"].mutable_struct_value()->mutable_fields())["id"].set_number_value(from);
  auto* list = fields["to"].mutable_list_value();
  for (double id : to) {
    (*list->add_values()->mutable_struct_value()->mutable_fields())["id"].set_number_value(id);
  }
  return result;
}

// Requests of several calls, each cut into chunks of one input, as one
// upstream request carried them.
class AnswerSplitTest : public testing::Test {
 protected:
  // Adds the chunks of `request`, a call of its own.
  void AddCall(const v1::ArchiveAssociationsRequest& request) { requests_.push_back(request); }

  std::vector<AnswerPart>& Parts() {
    chunks_.clear();
    parts_.clear();
    for (const auto& request : requests_) {
      for (const auto& input : request.inputs()) chunks_.push_back({ArchiveSlice::Whole(input)});
    }
    size_t chunk = 0;
    for (const auto& request : requests_) {
      for (int i = 0; i < request.inputs_size(); ++i) {
        parts_.push_back({&chunks_[chunk++], &request});
      }
    }
    return parts_;
  }

  std::vector<v1::BatchResult> Split(const v1::BatchResult& shared) {
    return SplitBatchResult(shared, Parts());
  }

  std::deque<v1::ArchiveAssociationsRequest> requests_;
  std::vector<Chunk> chunks_;
  std::vector<AnswerPart> parts_;
};

TEST_F(AnswerSplitTest, StatusTimesAndLinksComeFromTheSharedAnswer) {
  v1::ArchiveAssociationsRequest a, b;
  AddInput(a, "101", {"201"});
  AddInput(b, "102", {"202"});
  AddCall(a);
  AddCall(b);
  v1::BatchResult shared;
  shared.set_status(v1::BatchResult::COMPLETE);
  shared.mutable_started_at()->set_seconds(100);
  shared.mutable_completed_at()->set_seconds(101);
  (*shared.mutable_links())["docs"] = "https://example.test";
  const auto split = Split(shared);
  ASSERT_EQ(split.size(), 2u);
  for (const auto& result : split) {
    EXPECT_EQ(result.status(), v1::BatchResult::COMPLETE);
    EXPECT_EQ(result.started_at().seconds(), 100);
    EXPECT_EQ(result.completed_at().seconds(), 101);
    EXPECT_EQ(result.links().at("docs"), "https://example.test");
    EXPECT_THAT(result.errors(), IsEmpty());
    EXPECT_EQ(result.num_errors(), 0);
  }
}

// Issue 21, defect 6: caller A removed 101->201 (done), caller B 101->203 (not
// associated) and 104->201, all in one request. B's error names A's from id
// 101 and A's to id 201 in other pairs: A must not get it.
TEST_F(AnswerSplitTest, AnErrorGoesOnlyToTheCallThatSentItsPairNotToOneSharingAnId) {
  v1::ArchiveAssociationsRequest a, b;
  AddInput(a, "101", {"201"});
  AddInput(b, "101", {"203"});
  AddInput(b, "104", {"201"});
  AddCall(a);
  AddCall(b);
  v1::BatchResult shared;
  *shared.add_errors() = NotAssociated("101", "203");
  shared.set_num_errors(1);
  const auto split = Split(shared);
  ASSERT_EQ(split.size(), 3u);
  EXPECT_THAT(split[0].errors(), IsEmpty());
  EXPECT_EQ(split[0].num_errors(), 0);
  EXPECT_THAT(Messages(split[1]), ElementsAre("contacts 101 is not associated with companies 203"));
  EXPECT_THAT(Values(split[1].errors(0), "toIds"), ElementsAre("203"));
  EXPECT_EQ(split[1].num_errors(), 1);
  EXPECT_THAT(split[2].errors(), IsEmpty());
}

TEST_F(AnswerSplitTest, TwoCallsThatSentTheSamePairBothGetItsError) {
  v1::ArchiveAssociationsRequest a, b;
  AddInput(a, "101", {"201"});
  AddInput(b, "101", {"201"});
  AddCall(a);
  AddCall(b);
  v1::BatchResult shared;
  *shared.add_errors() = NotAssociated("101", "201");
  const auto split = Split(shared);
  for (const auto& result : split) {
    EXPECT_THAT(Messages(result), ElementsAre("contacts 101 is not associated with companies 201"));
    EXPECT_EQ(result.num_errors(), 1);
  }
}

TEST_F(AnswerSplitTest, AnErrorNamingPairsOfTwoCallsReachesEachNarrowedToItsOwn) {
  v1::ArchiveAssociationsRequest a, b, c;
  AddInput(a, "101", {"201", "202"});
  AddInput(b, "102", {"203"});
  AddInput(c, "103", {"204"});
  AddCall(a);
  AddCall(b);
  AddCall(c);
  v1::BatchResult shared;
  v1::StandardError both = Error("records 101 and 102 are locked");
  AddContext(both, "fromIds", {"101", "102"});
  AddContext(both, "reason", {"locked", "102"});
  both.set_id("102");
  v1::ErrorDetail* detail = both.add_errors();
  detail->set_message("102 is locked");
  (*detail->mutable_context())["record"].add_values("102");
  *shared.add_errors() = both;
  const auto split = Split(shared);
  ASSERT_EQ(split.size(), 3u);
  ASSERT_EQ(split[0].errors_size(), 1);
  const v1::StandardError& for_a = split[0].errors(0);
  EXPECT_THAT(Values(for_a, "fromIds"), ElementsAre("101"));
  // B's id is gone from every field A sees, the message with it.
  EXPECT_THAT(Values(for_a, "reason"), ElementsAre("locked"));
  EXPECT_EQ(for_a.id(), "");
  EXPECT_THAT(for_a.message(), HasSubstr("withheld"));
  EXPECT_THAT(for_a.errors(0).message(), HasSubstr("withheld"));
  EXPECT_THAT(for_a.errors(0).context().at("record").values(), IsEmpty());
  ASSERT_EQ(split[1].errors_size(), 1);
  const v1::StandardError& for_b = split[1].errors(0);
  EXPECT_THAT(Values(for_b, "fromIds"), ElementsAre("102"));
  EXPECT_EQ(for_b.id(), "102");
  EXPECT_THAT(for_b.message(), HasSubstr("withheld"));
  // A detail naming only B's record is B's to read.
  EXPECT_EQ(for_b.errors(0).message(), "102 is locked");
  EXPECT_THAT(for_b.errors(0).context().at("record").values(), ElementsAre("102"));
  EXPECT_THAT(split[2].errors(), IsEmpty());
}

TEST_F(AnswerSplitTest, AnUnattributableErrorOfSeveralCallsListsEachCallsOwnInputs) {
  v1::ArchiveAssociationsRequest a, b;
  AddInput(a, "101", {"201"});
  AddInput(a, "105", {"205"});
  AddInput(b, "102", {"202"});
  AddCall(a);
  AddCall(b);
  v1::BatchResult shared;
  v1::StandardError anonymous = Error("something failed for 102");
  anonymous.set_category("INTERNAL_ERROR");
  *shared.add_errors() = anonymous;
  v1::StandardError stranger = Error("names a record nobody sent");
  AddContext(stranger, "fromIds", {"999"});
  *shared.add_errors() = stranger;
  const auto split = Split(shared);
  ASSERT_EQ(split.size(), 3u);
  // Once per call (on its first chunk), with that call's inputs and not HubSpot's text.
  ASSERT_EQ(split[0].errors_size(), 2);
  EXPECT_EQ(split[0].errors(0).category(), "INTERNAL_ERROR");
  EXPECT_THAT(split[0].errors(0).message(), Not(HasSubstr("102")));
  EXPECT_THAT(Values(split[0].errors(0), "fromIds"), ElementsAre("101", "105"));
  EXPECT_THAT(Values(split[0].errors(0), "inputs"), ElementsAre("101:201", "105:205"));
  EXPECT_THAT(split[1].errors(), IsEmpty());
  ASSERT_EQ(split[2].errors_size(), 2);
  EXPECT_THAT(Values(split[2].errors(1), "inputs"), ElementsAre("102:202"));
  EXPECT_EQ(split[0].num_errors(), 2);
  EXPECT_EQ(split[2].num_errors(), 2);
}

TEST_F(AnswerSplitTest, AnUnattributableErrorOfOneCallGoesAsSentToItsFirstChunkOnly) {
  v1::ArchiveAssociationsRequest a;
  AddInput(a, "101", {"201"});
  AddInput(a, "102", {"202"});
  AddCall(a);
  v1::BatchResult shared;
  *shared.add_errors() = Error("names nobody");
  shared.set_num_errors(3);  // Two more than HubSpot listed.
  const auto split = Split(shared);
  EXPECT_THAT(Messages(split[0]), ElementsAre("names nobody"));
  EXPECT_EQ(split[0].num_errors(), 3);
  EXPECT_THAT(split[1].errors(), IsEmpty());
  EXPECT_EQ(split[1].num_errors(), 0);
}

TEST_F(AnswerSplitTest, ErrorsCountedButNotListedMakeEveryCallOfASharedRequestResend) {
  v1::ArchiveAssociationsRequest a, b;
  AddInput(a, "101", {"201"});
  AddInput(b, "102", {"202"});
  AddCall(a);
  AddCall(b);
  v1::BatchResult shared;
  shared.set_num_errors(1);
  const auto split = Split(shared);
  EXPECT_THAT(Values(split[0].errors(0), "inputs"), ElementsAre("101:201"));
  EXPECT_THAT(Values(split[1].errors(0), "inputs"), ElementsAre("102:202"));
  EXPECT_EQ(split[0].num_errors(), 1);
}

TEST_F(AnswerSplitTest, LeadingZerosNameTheSameRecord) {
  v1::ArchiveAssociationsRequest a, b;
  AddInput(a, "0101", {"201"});
  AddInput(b, "102", {"202"});
  AddCall(a);
  AddCall(b);
  v1::BatchResult shared;
  *shared.add_errors() = NotAssociated("101", "201");
  const auto split = Split(shared);
  EXPECT_EQ(split[0].num_errors(), 1);
  EXPECT_EQ(split[1].num_errors(), 0);
}

TEST_F(AnswerSplitTest, ResultsGoToTheCallsTheyNameWithoutOtherCallsRecords) {
  v1::ArchiveAssociationsRequest a, b;
  AddInput(a, "101", {"201"});
  AddInput(b, "101", {"203"});
  AddCall(a);
  AddCall(b);
  v1::BatchResult shared;
  *shared.add_results() = Result(101, {201});
  // HubSpot merged the two inputs with one from id into one result.
  *shared.add_results() = Result(101, {201, 203});
  google::protobuf::Value anonymous;
  anonymous.set_number_value(7);
  *shared.add_results() = anonymous;
  const auto split = Split(shared);
  ASSERT_EQ(split[0].results_size(), 2);
  EXPECT_EQ(split[0].results(0).DebugString(), Result(101, {201}).DebugString());
  EXPECT_EQ(split[0].results(1).DebugString(), Result(101, {201}).DebugString());
  ASSERT_EQ(split[1].results_size(), 1);
  EXPECT_EQ(split[1].results(0).DebugString(), Result(101, {203}).DebugString());
}

TEST_F(AnswerSplitTest, OneCallsAnonymousResultsStayWithIt) {
  v1::ArchiveAssociationsRequest a;
  AddInput(a, "101", {"201"});
  AddInput(a, "102", {"202"});
  AddCall(a);
  v1::BatchResult shared;
  google::protobuf::Value anonymous;
  anonymous.set_number_value(7);
  *shared.add_results() = anonymous;
  const auto split = Split(shared);
  EXPECT_EQ(split[0].results_size(), 1);
  EXPECT_EQ(split[1].results_size(), 0);
}

TEST_F(AnswerSplitTest, LabelInputsMatchByTheirOnePair) {
  v1::ArchiveAssociationLabelsRequest a, b;
  for (auto [request, to] : {std::pair{&a, "201"}, std::pair{&b, "202"}}) {
    auto* input = request->add_inputs();
    input->mutable_from_object()->set_id("101");
    input->mutable_to_object()->set_id(to);
    auto* type = input->add_types();
    type->set_category(v1::USER_DEFINED);
    type->set_type_id(36);
  }
  const std::vector<Chunk> chunks = {{ArchiveSlice::Whole(a.inputs(0))},
                                     {ArchiveSlice::Whole(b.inputs(0))}};
  const std::vector<AnswerPart> parts = {{&chunks[0], &a}, {&chunks[1], &b}};
  v1::BatchResult shared;
  *shared.add_errors() = NotAssociated("101", "202");
  const auto split = SplitBatchResult(shared, parts);
  EXPECT_THAT(split[0].errors(), IsEmpty());
  EXPECT_THAT(Values(split[1].errors(0), "toIds"), UnorderedElementsAre("202"));
}

TEST_F(AnswerSplitTest, OnePartGetsTheAnswerUnchanged) {
  v1::ArchiveAssociationsRequest a;
  AddInput(a, "101", {"201"});
  AddCall(a);
  v1::BatchResult shared;
  *shared.add_errors() = Error("kept whole");
  shared.set_num_errors(5);
  const auto split = Split(shared);
  ASSERT_EQ(split.size(), 1u);
  EXPECT_EQ(split[0].num_errors(), 5);
  EXPECT_THAT(Messages(split[0]), ElementsAre("kept whole"));
}

}  // namespace
}  // namespace hubspot_gateway
