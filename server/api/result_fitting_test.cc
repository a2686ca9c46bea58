#include "server/api/result_fitting.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::testing::HasSubstr;

// `count` errors, each about one from id, with a message of `message_bytes`
// and a detail.
v1::BatchResult ResultWithErrors(int count, size_t message_bytes) {
  v1::BatchResult result;
  result.set_status(v1::BatchResult::COMPLETE);
  for (int i = 0; i < count; ++i) {
    v1::StandardError* error = result.add_errors();
    error->set_status("error");
    error->set_category("VALIDATION_ERROR");
    error->set_message(std::string(message_bytes, 'm'));
    error->add_errors()->set_message(std::string(message_bytes, 'd'));
    (*error->mutable_links())["docs"] = "https://developers.hubspot.com/docs";
    (*error->mutable_context())["fromIds"].add_values(absl::StrCat(1000000 + i));
  }
  result.set_num_errors(count);
  return result;
}

TEST(FitBatchResultTest, LeavesAResultThatFitsUntouched) {
  v1::BatchResult result = ResultWithErrors(10, 100);
  const std::string before = result.SerializeAsString();
  EXPECT_TRUE(FitBatchResult(kMaxUnaryResultBytes, result));
  EXPECT_EQ(result.SerializeAsString(), before);
}

TEST(FitBatchResultTest, DropsResultsValuesFirst) {
  v1::BatchResult result = ResultWithErrors(1, 10);
  for (int i = 0; i < 100; ++i) result.add_results()->set_string_value(std::string(1000, 'r'));
  EXPECT_TRUE(FitBatchResult(10000, result));
  EXPECT_EQ(result.results_size(), 0);
  EXPECT_EQ(result.errors(0).message(), std::string(10, 'm'));  // Not needed: kept.
  EXPECT_THAT(result.links().at("gatewayTruncated"), HasSubstr("100 results values"));
}

TEST(FitBatchResultTest, ShrinksErrorsButKeepsEveryIdAndCategory) {
  // 10,000 failing inputs with 600 bytes of text each: about 12 MB.
  constexpr int kErrors = 10000;
  v1::BatchResult result = ResultWithErrors(kErrors, 600);
  ASSERT_GT(result.ByteSizeLong(), kMaxUnaryResultBytes);
  EXPECT_TRUE(FitBatchResult(kMaxUnaryResultBytes, result));
  EXPECT_LE(result.ByteSizeLong(), kMaxUnaryResultBytes);
  ASSERT_EQ(result.errors_size(), kErrors);
  EXPECT_EQ(result.num_errors(), kErrors);
  for (int i = 0; i < kErrors; ++i) {
    const v1::StandardError& error = result.errors(i);
    EXPECT_EQ(error.category(), "VALIDATION_ERROR");
    EXPECT_EQ(error.context().at("fromIds").values(0), absl::StrCat(1000000 + i));
    EXPECT_EQ(error.message().size(), kShrunkErrorMessageBytes);
    EXPECT_EQ(error.errors_size(), 0);
  }
  EXPECT_THAT(result.links().at("gatewayTruncated"), HasSubstr("ids and categories are complete"));
}

TEST(FitBatchResultTest, SaysWhenEvenTheIdsDoNotFit) {
  v1::BatchResult result = ResultWithErrors(1000, 10);
  EXPECT_FALSE(FitBatchResult(1000, result));
  EXPECT_EQ(result.errors_size(), 1000);  // Nothing an input needs is dropped.
}

}  // namespace
}  // namespace hubspot_gateway
