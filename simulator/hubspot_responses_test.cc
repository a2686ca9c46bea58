#include "simulator/hubspot_responses.h"

#include <regex>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_simulator {
namespace {

using json = nlohmann::json;

bool IsUuidV4(const std::string& text) {
  static const std::regex kUuid(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  return std::regex_match(text, kUuid);
}

TEST(HubSpotResponsesTest, CorrelationIdsAreFreshUuids) {
  const std::string first = NewCorrelationId();
  EXPECT_TRUE(IsUuidV4(first)) << first;
  EXPECT_NE(first, NewCorrelationId());
}

TEST(HubSpotResponsesTest, TimesAreUtcWithMilliseconds) {
  const absl::Time time = absl::FromUnixMillis(1'795'896'347'123);  // 2026-11-28T20:05:47.123Z
  EXPECT_EQ(FormatHubSpotTime(time), "2026-11-28T20:05:47.123Z");
  EXPECT_EQ(FormatHubSpotTime(absl::FromUnixSeconds(0)), "1970-01-01T00:00:00.000Z");
}

TEST(HubSpotResponsesTest, AuthenticationError) {
  const json body = AuthenticationErrorBody();
  EXPECT_EQ(body["status"], "error");
  EXPECT_EQ(body["category"], "INVALID_AUTHENTICATION");
  EXPECT_THAT(body["message"].get<std::string>(),
              ::testing::StartsWith("Authentication credentials not found"));
  EXPECT_TRUE(IsUuidV4(body["correlationId"]));
}

TEST(HubSpotResponsesTest, MissingScopesError) {
  const json body = MissingScopesErrorBody();
  EXPECT_EQ(body["category"], "MISSING_SCOPES");
  EXPECT_EQ(body["errors"][0]["context"]["requiredGranularScopes"],
            json::array({"crm.objects.contacts.write"}));
  EXPECT_EQ(body["links"]["scopes"], "https://developers.hubspot.com/scopes");
}

TEST(HubSpotResponsesTest, ValidationError) {
  const json body =
      ValidationErrorBody(ValidationError{"Invalid input JSON on line 1: x", "x", "inputs", "C"});
  EXPECT_EQ(body["category"], "VALIDATION_ERROR");
  EXPECT_EQ(body["message"], "Invalid input JSON on line 1: x");
  EXPECT_EQ(body["errors"], json::parse(R"([{"message":"x","in":"inputs","code":"C"}])"));
}

TEST(HubSpotResponsesTest, RateLimitErrors) {
  const json rolling = RateLimitErrorBody(RateLimitPolicy::kTenSecondlyRolling);
  EXPECT_EQ(rolling["errorType"], "RATE_LIMIT");
  EXPECT_EQ(rolling["category"], "RATE_LIMITS");
  EXPECT_EQ(rolling["policyName"], "TEN_SECONDLY_ROLLING");
  EXPECT_EQ(rolling["message"], "You have reached your ten_secondly_rolling limit.");
  EXPECT_TRUE(IsUuidV4(rolling["requestId"]));
  const json daily = RateLimitErrorBody(RateLimitPolicy::kDaily);
  EXPECT_EQ(daily["policyName"], "DAILY");
  EXPECT_EQ(daily["message"], "You have reached your daily limit.");
}

TEST(HubSpotResponsesTest, ErrorBodyCategoryFollowsTheStatus) {
  const std::pair<int, const char*> cases[] = {
      {503, "INTERNAL_ERROR"},         {500, "INTERNAL_ERROR"},
      {404, "OBJECT_NOT_FOUND"},       {409, "CONFLICT"},
      {400, "VALIDATION_ERROR"},       {413, "VALIDATION_ERROR"},
      {401, "INVALID_AUTHENTICATION"}, {429, "RATE_LIMITS"}};
  for (const auto& [status, category] : cases) {
    const json body = ErrorBodyForStatus(status);
    EXPECT_EQ(body["category"], category) << status;
    EXPECT_EQ(body["status"], "error");
    EXPECT_FALSE(body["message"].get<std::string>().empty());
    EXPECT_TRUE(IsUuidV4(body["correlationId"])) << status;
  }
  EXPECT_EQ(ErrorBodyForStatus(503)["message"], "Internal error");
}

TEST(HubSpotResponsesTest, NoAssociationErrorIsAStandardError) {
  EXPECT_EQ(NoAssociationError("contacts", "companies", "1", "2"), json::parse(R"({
      "status":"error","category":"OBJECT_NOT_FOUND",
      "message":"contacts 1 is not associated with companies 2",
      "context":{"fromIds":["1"],"toIds":["2"]},"errors":[],"links":{}})"));
}

TEST(HubSpotResponsesTest, AssociationTypes) {
  EXPECT_EQ(AssociationTypeJson({"HUBSPOT_DEFINED", 279}, /*unlabeled=*/true),
            json::parse(R"({"category":"HUBSPOT_DEFINED","typeId":279,"label":null})"));
  EXPECT_EQ(AssociationTypeJson({"USER_DEFINED", 36}, /*unlabeled=*/false),
            json::parse(R"({"category":"USER_DEFINED","typeId":36,"label":"Label 36"})"));
}

TEST(HubSpotResponsesTest, BatchResponse) {
  const json body = BatchResponseBody(json::array(), absl::FromUnixMillis(1),
                                      absl::FromUnixMillis(2), absl::FromUnixMillis(3));
  EXPECT_EQ(body, json::parse(R"({"status":"COMPLETE","results":[],
      "requestedAt":"1970-01-01T00:00:00.001Z",
      "startedAt":"1970-01-01T00:00:00.002Z",
      "completedAt":"1970-01-01T00:00:00.003Z"})"));
}

TEST(HubSpotResponsesTest, RecordIdJson) {
  EXPECT_EQ(RecordIdJson("42"), json(42));
  EXPECT_EQ(RecordIdJson("18446744073709551615"), json(18446744073709551615ULL));
  EXPECT_EQ(RecordIdJson("18446744073709551616"), json("18446744073709551616"));
}

TEST(HubSpotResponsesTest, SerializeJsonSurvivesInvalidUtf8) {
  EXPECT_EQ(SerializeJson(json{{"a", "b\xff"}}), "{\"a\":\"b\xEF\xBF\xBD\"}");
}

TEST(HubSpotResponsesTest, MalformedBodyIsNotJson) {
  EXPECT_TRUE(json::parse(kMalformedBody, nullptr, false).is_discarded());
}

}  // namespace
}  // namespace hubspot_simulator
