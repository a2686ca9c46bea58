#include "simulator/success_mode.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_simulator {
namespace {

TEST(SuccessModeTest, PerVersionFollowsEachVersionsSpec) {
  EXPECT_EQ(SuccessShapeFor(SuccessMode::kPerVersion, "v4"), SuccessShape::kNoContent);
  EXPECT_EQ(SuccessShapeFor(SuccessMode::kPerVersion, "2025-09"), SuccessShape::kBatchResponse);
  EXPECT_EQ(SuccessShapeFor(SuccessMode::kPerVersion, "2026-03"), SuccessShape::kBatchResponse);
  EXPECT_EQ(SuccessShapeFor(SuccessMode::kPerVersion, "2026-09"), SuccessShape::kBatchResponseVoid);
  EXPECT_EQ(SuccessShapeFor(SuccessMode::kPerVersion, "2027-03"), SuccessShape::kBatchResponseVoid);
}

TEST(SuccessModeTest, AForcedModeAppliesToEveryVersion) {
  for (const char* version : {"v4", "2026-03", "2026-09"}) {
    EXPECT_EQ(SuccessShapeFor(SuccessMode::kNoContent, version), SuccessShape::kNoContent);
    EXPECT_EQ(SuccessShapeFor(SuccessMode::kBatchResponse, version), SuccessShape::kBatchResponse);
    EXPECT_EQ(SuccessShapeFor(SuccessMode::kBatchResponseVoid, version),
              SuccessShape::kBatchResponseVoid);
  }
}

TEST(SuccessModeTest, Parse) {
  EXPECT_EQ(*ParseSuccessMode("per_version"), SuccessMode::kPerVersion);
  EXPECT_EQ(*ParseSuccessMode("204"), SuccessMode::kNoContent);
  EXPECT_EQ(*ParseSuccessMode("batch_response"), SuccessMode::kBatchResponse);
  EXPECT_EQ(*ParseSuccessMode("batch_response_void"), SuccessMode::kBatchResponseVoid);
  const absl::StatusOr<SuccessMode> bad = ParseSuccessMode("200");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("batch_response_void"));
}

}  // namespace
}  // namespace hubspot_simulator
