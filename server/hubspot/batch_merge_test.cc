#include "server/hubspot/batch_merge.h"

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "server/hubspot/upstream_error_status.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::testing::ElementsAre;

v1::BatchResult Result(const std::string& text) {
  v1::BatchResult result;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &result));
  return result;
}

class BatchMergerTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"pb(inputs {
               from_object { id: "101" }
               to_objects { id: "201" }
               to_objects { id: "202" }
             }
             inputs {
               from_object { id: "102" }
               to_objects { id: "203" }
             })pb",
        &request_));
    chunk_ = {ArchiveSlice::Whole(request_.inputs(0)), ArchiveSlice::Whole(request_.inputs(1))};
  }

  v1::ArchiveAssociationsRequest request_;
  Chunk chunk_;
};

TEST_F(BatchMergerTest, CombinesTimesResultsErrorsAndLinks) {
  BatchMerger merger;
  merger.AddSucceeded(Result(R"pb(status: COMPLETE
                                  requested_at { seconds: 10 }
                                  started_at { seconds: 11 }
                                  completed_at { seconds: 20 }
                                  results { string_value: "a" }
                                  errors { message: "e1" }
                                  num_errors: 1
                                  links { key: "x" value: "1" })pb"));
  merger.AddSucceeded(Result(R"pb(status: COMPLETE
                                  started_at { seconds: 9 }
                                  completed_at { seconds: 25 }
                                  results { string_value: "b" }
                                  errors { message: "e2" }
                                  errors { message: "e3" }
                                  num_errors: 2
                                  links { key: "y" value: "2" })pb"));
  const auto merged = std::move(merger).Finish();
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->status(), v1::BatchResult::COMPLETE);
  EXPECT_EQ(merged->requested_at().seconds(), 10);
  EXPECT_EQ(merged->started_at().seconds(), 9);
  EXPECT_EQ(merged->completed_at().seconds(), 25);
  EXPECT_EQ(merged->results_size(), 2);
  EXPECT_EQ(merged->num_errors(), 3);
  EXPECT_EQ(merged->errors_size(), 3);
  EXPECT_EQ(merged->links().size(), 2u);
}

TEST_F(BatchMergerTest, AnUnsetTimeNeverWins) {
  BatchMerger merger;
  merger.AddSucceeded(Result(R"pb(status: COMPLETE
                                  started_at { seconds: 11 })pb"));
  merger.AddSucceeded(Result(R"pb(status: COMPLETE
                                  requested_at { seconds: 12 }
                                  completed_at { seconds: 5 })pb"));
  merger.AddSucceeded(Result("status: COMPLETE"));
  const auto merged = std::move(merger).Finish();
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->requested_at().seconds(), 12);
  EXPECT_EQ(merged->started_at().seconds(), 11);
  EXPECT_EQ(merged->completed_at().seconds(), 5);
}

TEST_F(BatchMergerTest, TimesCompareToTheNanosecond) {
  BatchMerger merger;
  merger.AddSucceeded(Result(R"pb(status: COMPLETE
                                  requested_at { seconds: 10 nanos: 2 }
                                  completed_at { seconds: 20 nanos: 1 })pb"));
  merger.AddSucceeded(Result(R"pb(status: COMPLETE
                                  requested_at { seconds: 10 nanos: 1 }
                                  completed_at { seconds: 20 nanos: 2 })pb"));
  const auto merged = std::move(merger).Finish();
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->requested_at().nanos(), 1);
  EXPECT_EQ(merged->completed_at().nanos(), 2);
}

TEST_F(BatchMergerTest, TimesAfterAFailedChunkAreTheSucceededChunksOwn) {
  BatchMerger merger;
  merger.AddFailed(chunk_, absl::UnavailableError("down"));
  merger.AddSucceeded(Result(R"pb(status: COMPLETE
                                  requested_at { seconds: 3 }
                                  started_at { seconds: 4 }
                                  completed_at { seconds: 5 })pb"));
  const auto merged = std::move(merger).Finish();
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->requested_at().seconds(), 3);
  EXPECT_EQ(merged->started_at().seconds(), 4);
  EXPECT_EQ(merged->completed_at().seconds(), 5);
}

TEST_F(BatchMergerTest, AnyChunkNotCompleteMakesTheWholeNotComplete) {
  BatchMerger merger;
  merger.AddSucceeded(Result("status: COMPLETE"));
  merger.AddSucceeded(Result("status: PROCESSING"));
  merger.AddSucceeded(Result("status: COMPLETE"));
  EXPECT_EQ(std::move(merger).Finish()->status(), v1::BatchResult::PROCESSING);
}

TEST_F(BatchMergerTest, FailedChunkIsAnErrorNamingItsInputsEvenWhenAddedFirst) {
  v1::UpstreamError upstream;
  upstream.set_http_status(503);
  upstream.set_correlation_id("corr-1");
  upstream.set_attempts(4);
  BatchMerger merger;
  merger.AddFailed(chunk_, UpstreamErrorStatus(absl::StatusCode::kUnavailable, upstream));
  merger.AddSucceeded(Result("status: COMPLETE"));
  const auto merged = std::move(merger).Finish();
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->status(), v1::BatchResult::COMPLETE);
  ASSERT_EQ(merged->errors_size(), 1);
  EXPECT_EQ(merged->num_errors(), 1);
  const v1::StandardError& error = merged->errors(0);
  EXPECT_EQ(error.category(), "UNAVAILABLE");
  EXPECT_THAT(error.context().at("fromIds").values(), ElementsAre("101", "102"));
  EXPECT_THAT(error.context().at("inputs").values(), ElementsAre("101:201,202", "102:203"));
  EXPECT_THAT(error.context().at("httpStatus").values(), ElementsAre("503"));
  EXPECT_THAT(error.context().at("correlationId").values(), ElementsAre("corr-1"));
  EXPECT_THAT(error.context().at("attempts").values(), ElementsAre("4"));
}

TEST_F(BatchMergerTest, PartOfAWideInputIsNamedExactly) {
  BatchMerger merger;
  merger.AddFailed({ArchiveSlice::Of(request_.inputs(0), 1, 2)}, absl::UnavailableError("down"));
  merger.AddSucceeded(Result("status: COMPLETE"));
  const auto merged = std::move(merger).Finish();
  EXPECT_THAT(merged->errors(0).context().at("inputs").values(), ElementsAre("101:202"));
}

TEST_F(BatchMergerTest, NoChunkSucceededReturnsTheFirstFailure) {
  BatchMerger merger;
  merger.AddFailed(chunk_, absl::PermissionDeniedError("scopes"));
  merger.AddFailed(chunk_, absl::UnavailableError("down"));
  EXPECT_EQ(std::move(merger).Finish().status().code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace hubspot_gateway
