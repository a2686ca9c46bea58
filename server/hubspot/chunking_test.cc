#include "server/hubspot/chunking.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;

v1::ArchiveAssociationsRequest RequestWithFanOut(const std::vector<int>& to_counts) {
  v1::ArchiveAssociationsRequest request;
  int next_id = 1;
  for (int count : to_counts) {
    auto* input = request.add_inputs();
    input->mutable_from_object()->set_id(absl::StrCat(next_id++));
    for (int i = 0; i < count; ++i) input->add_to_objects()->set_id(absl::StrCat(next_id++));
  }
  return request;
}

// "from>to" for every pair in the chunks, in order.
std::vector<std::string> Pairs(const std::vector<Chunk>& chunks) {
  std::vector<std::string> pairs;
  for (const Chunk& chunk : chunks) {
    for (const ArchiveSlice& slice : chunk) {
      for (int i = slice.begin; i < slice.end; ++i) {
        pairs.push_back(
            absl::StrCat(slice.input->from_object().id(), ">", slice.input->to_objects(i).id()));
      }
    }
  }
  return pairs;
}

std::vector<std::string> Pairs(const v1::ArchiveAssociationsRequest& request) {
  std::vector<Chunk> whole(1);
  for (const auto& input : request.inputs()) whole[0].push_back(ArchiveSlice::Whole(input));
  return Pairs(whole);
}

TEST(SplitIntoChunksTest, SmallRequestIsOneChunk) {
  const auto request = RequestWithFanOut({1, 2, 3});
  const auto chunks = SplitIntoChunks(request, 100);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].size(), 3u);
}

TEST(SplitIntoChunksTest, TwoHundredFiftyInputsMakeThreeChunks) {
  const auto request = RequestWithFanOut(std::vector<int>(250, 1));
  const auto chunks = SplitIntoChunks(request, 100);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].size(), 100u);
  EXPECT_EQ(chunks[1].size(), 100u);
  EXPECT_EQ(chunks[2].size(), 50u);
  EXPECT_EQ(Pairs(chunks), Pairs(request));
}

TEST(SplitIntoChunksTest, WideInputIsSplitAcrossChunksKeepingEveryPairOnce) {
  const auto request = RequestWithFanOut({2, 7, 1});
  const auto chunks = SplitIntoChunks(request, 3);
  for (const Chunk& chunk : chunks) {
    EXPECT_LE(chunk.size(), 3u);
    for (const ArchiveSlice& slice : chunk) EXPECT_LE(slice.end - slice.begin, 3);
  }
  EXPECT_EQ(Pairs(chunks), Pairs(request));
}

TEST(SplitIntoChunksTest, LimitOfOneSendsOnePairPerChunk) {
  const auto request = RequestWithFanOut({3, 2});
  const auto chunks = SplitIntoChunks(request, 1);
  EXPECT_EQ(chunks.size(), 5u);
  EXPECT_EQ(Pairs(chunks), Pairs(request));
}

// `type_counts[i]` types on input i (pair i+1 -> i+1001).
v1::ArchiveAssociationLabelsRequest LabelsRequest(const std::vector<int>& type_counts) {
  v1::ArchiveAssociationLabelsRequest request;
  for (size_t i = 0; i < type_counts.size(); ++i) {
    auto* input = request.add_inputs();
    input->mutable_from_object()->set_id(absl::StrCat(i + 1));
    input->mutable_to_object()->set_id(absl::StrCat(i + 1001));
    for (int t = 0; t < type_counts[i]; ++t) {
      auto* type = input->add_types();
      type->set_category(v1::USER_DEFINED);
      type->set_type_id(t + 1);
    }
  }
  return request;
}

// "from>to/CATEGORY:type" for every label in the chunks, in order.
std::vector<std::string> Labels(const std::vector<Chunk>& chunks) {
  std::vector<std::string> labels;
  for (const Chunk& chunk : chunks) {
    for (const ArchiveSlice& slice : chunk) {
      EXPECT_EQ(slice.input, nullptr);
      for (int i = slice.begin; i < slice.end; ++i) {
        labels.push_back(ArchiveSlice::Of(*slice.label_input, i, i + 1).Describe());
      }
    }
  }
  return labels;
}

TEST(SplitIntoChunksTest, TwoHundredFiftyLabelInputsMakeThreeChunks) {
  const auto request = LabelsRequest(std::vector<int>(250, 1));
  const auto chunks = SplitIntoChunks(request, 100);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].size(), 100u);
  EXPECT_EQ(chunks[2].size(), 50u);
  EXPECT_EQ(chunks[2].back().from_id(), "250");
}

TEST(SplitIntoChunksTest, LabelInputWithManyTypesIsSplitKeepingEveryLabelOnce) {
  const auto request = LabelsRequest({2, 7, 1});
  const auto chunks = SplitIntoChunks(request, 3);
  for (const Chunk& chunk : chunks) {
    EXPECT_LE(chunk.size(), 3u);
    for (const ArchiveSlice& slice : chunk) EXPECT_LE(slice.end - slice.begin, 3);
  }
  std::vector<Chunk> whole(1);
  for (const auto& input : request.inputs()) whole[0].push_back(ArchiveSlice::Whole(input));
  EXPECT_EQ(Labels(chunks), Labels(whole));
  EXPECT_EQ(Labels(whole).size(), 10u);
}

}  // namespace
}  // namespace hubspot_gateway
