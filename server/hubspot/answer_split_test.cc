#include "server/hubspot/answer_split.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Call A sent 101->201,202; call B sent 102->203; call C sent 103->204.
class AnswerSplitTest : public testing::Test {
 protected:
  AnswerSplitTest() {
    AddInput(a_, "101", {"201", "202"});
    AddInput(b_, "102", {"203"});
    AddInput(c_, "103", {"204"});
    for (const auto* request : {&a_, &b_, &c_}) {
      chunks_.push_back({ArchiveSlice::Whole(request->inputs(0))});
    }
    for (const Chunk& chunk : chunks_) parts_.push_back(&chunk);
  }

  static void AddInput(v1::ArchiveAssociationsRequest& request, const std::string& from,
                       const std::vector<std::string>& to) {
    auto* input = request.add_inputs();
    input->mutable_from_object()->set_id(from);
    for (const std::string& id : to) input->add_to_objects()->set_id(id);
  }

  static v1::StandardError Error(const std::string& message) {
    v1::StandardError error;
    error.set_message(message);
    return error;
  }

  static void AddContext(v1::StandardError& error, const std::string& key,
                         const std::vector<std::string>& values) {
    for (const std::string& value : values) (*error.mutable_context())[key].add_values(value);
  }

  static std::vector<std::string> Messages(const v1::BatchResult& result) {
    std::vector<std::string> messages;
    for (const auto& error : result.errors()) messages.push_back(error.message());
    return messages;
  }

  v1::ArchiveAssociationsRequest a_, b_, c_;
  std::vector<Chunk> chunks_;
  std::vector<const Chunk*> parts_;
};

TEST_F(AnswerSplitTest, StatusTimesAndLinksComeFromTheSharedAnswer) {
  v1::BatchResult shared;
  shared.set_status(v1::BatchResult::COMPLETE);
  shared.mutable_started_at()->set_seconds(100);
  shared.mutable_completed_at()->set_seconds(101);
  (*shared.mutable_links())["docs"] = "https://example.test";
  const auto split = SplitBatchResult(shared, parts_);
  ASSERT_EQ(split.size(), 3u);
  for (const auto& result : split) {
    EXPECT_EQ(result.status(), v1::BatchResult::COMPLETE);
    EXPECT_EQ(result.started_at().seconds(), 100);
    EXPECT_EQ(result.completed_at().seconds(), 101);
    EXPECT_EQ(result.links().at("docs"), "https://example.test");
    EXPECT_THAT(result.errors(), IsEmpty());
    EXPECT_EQ(result.num_errors(), 0);
  }
}

TEST_F(AnswerSplitTest, ErrorsNamingRecordsGoOnlyToTheCallsThatSentThem) {
  v1::BatchResult shared;
  v1::StandardError by_from = Error("from ids of A and C");
  AddContext(by_from, "fromIds", {"101", "103"});
  AddContext(by_from, "reason", {"not found"});
  *shared.add_errors() = by_from;
  v1::StandardError by_id = Error("to id of B");
  by_id.set_id("203");
  *shared.add_errors() = by_id;
  *shared.add_errors() = Error("names nobody");
  v1::StandardError stranger = Error("names a record no call sent");
  AddContext(stranger, "fromIds", {"999"});
  *shared.add_errors() = stranger;
  shared.set_num_errors(4);

  const auto split = SplitBatchResult(shared, parts_);
  EXPECT_THAT(Messages(split[0]),
              ElementsAre("from ids of A and C", "names nobody", "names a record no call sent"));
  EXPECT_THAT(Messages(split[1]),
              ElementsAre("to id of B", "names nobody", "names a record no call sent"));
  EXPECT_THAT(Messages(split[2]),
              ElementsAre("from ids of A and C", "names nobody", "names a record no call sent"));
  // Each call sees only its own records in a shared error; other lists stay whole.
  EXPECT_THAT(split[0].errors(0).context().at("fromIds").values(), ElementsAre("101"));
  EXPECT_THAT(split[2].errors(0).context().at("fromIds").values(), ElementsAre("103"));
  EXPECT_THAT(split[0].errors(0).context().at("reason").values(), ElementsAre("not found"));
  EXPECT_EQ(split[0].num_errors(), 3);
  EXPECT_EQ(split[1].num_errors(), 3);
}

TEST_F(AnswerSplitTest, ResultsNamingRecordsAreAttributedToo) {
  v1::BatchResult shared;
  google::protobuf::Value named;
  (*named.mutable_struct_value()->mutable_fields())["toId"].set_string_value("202");
  *shared.add_results() = named;
  google::protobuf::Value anonymous;
  anonymous.set_number_value(7);
  *shared.add_results() = anonymous;
  const auto split = SplitBatchResult(shared, parts_);
  EXPECT_EQ(split[0].results_size(), 2);
  EXPECT_EQ(split[1].results_size(), 1);
  EXPECT_EQ(split[2].results_size(), 1);
}

TEST_F(AnswerSplitTest, OnePartGetsTheAnswerUnchanged) {
  v1::BatchResult shared;
  *shared.add_errors() = Error("kept whole");
  shared.set_num_errors(5);
  const auto split = SplitBatchResult(shared, {parts_[0]});
  ASSERT_EQ(split.size(), 1u);
  EXPECT_EQ(split[0].num_errors(), 5);
  EXPECT_THAT(Messages(split[0]), ElementsAre("kept whole"));
}

}  // namespace
}  // namespace hubspot_gateway
