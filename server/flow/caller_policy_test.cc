#include "server/flow/caller_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;

TEST(CallerPolicyTest, DefaultAllowsEverything) {
  EXPECT_TRUE(CallerPolicy().Allows("labels", "deals", "tickets").ok());
}

TEST(CallerPolicyTest, DeniesCallsAndPairsNamingThem) {
  absl::StatusOr<CallerPolicy> policy = ParseCallerPolicy(
      nlohmann::json::parse(
          R"({"weight": 2, "calls": ["archive"], "object_types": ["contacts/companies", "deals/*"]})"),
      "callers[0]");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->weight, 2.0);
  EXPECT_TRUE(policy->Allows("archive", "contacts", "companies").ok());
  EXPECT_TRUE(policy->Allows("archive", "deals", "tickets").ok());
  absl::Status pair = policy->Allows("archive", "companies", "contacts");
  EXPECT_EQ(pair.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(pair.message(), HasSubstr("from companies to contacts"));
  absl::Status call = policy->Allows("labels", "contacts", "companies");
  EXPECT_EQ(call.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(call.message(), HasSubstr("labels call"));
}

TEST(CallerPolicyTest, RefusesBadPolicies) {
  for (const char* text :
       {R"([])", R"({"weight": 0})", R"({"max_share": 1.5})", R"({"weight": 1, "max_share": 0.5})",
        R"({"calls": ["delete"]})", R"({"calls": []})", R"({"object_types": ["contacts"]})",
        R"({"colour": "blue"})"}) {
    absl::StatusOr<CallerPolicy> policy =
        ParseCallerPolicy(nlohmann::json::parse(text), "callers[3]");
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(policy.status().message(), HasSubstr("callers[3].policy")) << text;
  }
  absl::StatusOr<CallerPolicy> share =
      ParseCallerPolicy(nlohmann::json::parse(R"({"max_share": 0.25})"), "c");
  ASSERT_TRUE(share.ok());
  EXPECT_EQ(share->max_share, 0.25);
}

}  // namespace
}  // namespace hubspot_gateway
