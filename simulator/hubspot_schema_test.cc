#include "simulator/hubspot_schema.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_simulator {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kBatchResponse[] = R"({"status":"COMPLETE","results":[{"from":{"id":"1"}}],
    "requestedAt":"2026-11-29T20:05:47.123Z","startedAt":"2026-11-29T20:05:47Z",
    "completedAt":"2026-11-29T20:05:47.5+01:00","numErrors":1,"links":{"a":"b"},
    "errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"m",
               "context":{"fromIds":["1"]},"errors":[{"message":"d","code":"c"}],"links":{}}]})";

TEST(HubSpotSchemaTest, AConformingBatchResponsePasses) {
  EXPECT_THAT(BatchResponseProblems(json::parse(kBatchResponse), ResultItems::kObjects), IsEmpty());
}

TEST(HubSpotSchemaTest, AnEmptyObjectIsNotABatchResponse) {
  EXPECT_THAT(BatchResponseProblems(json::object(), ResultItems::kAnything),
              ElementsAre("status: required", "results: required", "startedAt: required",
                          "completedAt: required"));
  EXPECT_THAT(BatchResponseProblems(json::array(), ResultItems::kAnything),
              ElementsAre("(body): must be a JSON object"));
}

TEST(HubSpotSchemaTest, EnumsTypesAndResultItems) {
  json body = json::parse(kBatchResponse);
  body["status"] = "DONE";
  body["startedAt"] = "yesterday";
  body["numErrors"] = 1LL << 40;
  body["results"] = json::array({1, "x"});
  EXPECT_THAT(BatchResponseProblems(body, ResultItems::kObjects),
              UnorderedElementsAre("status: must be one of PENDING, PROCESSING, CANCELED, COMPLETE",
                                   "results: must be an array of objects",
                                   "startedAt: must be an ISO-8601 date-time",
                                   "numErrors: must be an int32"));
  // A BatchResponseVoid's results may be anything.
  body = json::parse(kBatchResponse);
  body["results"] = json::array({1, "x", nullptr});
  EXPECT_THAT(BatchResponseProblems(body, ResultItems::kAnything), IsEmpty());
}

TEST(HubSpotSchemaTest, StandardErrorsNeedErrorsLinksAndContext) {
  json body = json::parse(kBatchResponse);
  body["errors"][0].erase("links");
  body["errors"][0].erase("errors");
  body["errors"][0]["context"] = {{"fromIds", "1"}};
  EXPECT_THAT(
      BatchResponseProblems(body, ResultItems::kObjects),
      UnorderedElementsAre("errors[0].links: required", "errors[0].errors: required",
                           "errors[0].context: must be a map of string to array of strings"));
  body = json::parse(kBatchResponse);
  body["errors"][0]["errors"][0].erase("message");
  EXPECT_THAT(BatchResponseProblems(body, ResultItems::kObjects),
              ElementsAre("errors[0].errors[0].message: required"));
}

TEST(HubSpotSchemaTest, ErrorNeedsCategoryCorrelationIdAndMessage) {
  EXPECT_THAT(ErrorProblems(json::parse(R"({"status":"error","message":"m","category":"C",
      "correlationId":"0a1b2c3d-0000-4000-8000-00000000abcd","errors":[{"message":"x"}]})")),
              IsEmpty());
  // HubSpot's documented 429 body has no category.
  EXPECT_THAT(ErrorProblems(json::parse(R"({"status":"error","message":"m","errorType":"RATE_LIMIT",
      "correlationId":"0a1b2c3d-0000-4000-8000-00000000abcd","policyName":"DAILY"})")),
              ElementsAre("category: required"));
  EXPECT_THAT(ErrorProblems(json::parse(R"({"message":"m","category":"C","correlationId":"42",
      "errors":[{"in":"x"}]})")),
              UnorderedElementsAre("correlationId: must be a uuid", "errors[0].message: required"));
}

TEST(HubSpotSchemaTest, AssociationTypes) {
  EXPECT_THAT(AssociationTypesProblems(json::parse(R"({"results":[
      {"category":"HUBSPOT_DEFINED","typeId":279,"label":null},
      {"category":"USER_DEFINED","typeId":36,"label":"Billing contact"}]})")),
              IsEmpty());
  EXPECT_THAT(AssociationTypesProblems(json::parse(R"({"results":[
      {"category":"FRIENDS","typeId":"36"}]})")),
              UnorderedElementsAre(
                  "results[0].category: must be one of HUBSPOT_DEFINED, INTEGRATOR_DEFINED, "
                  "USER_DEFINED, WORK",
                  "results[0].typeId: must be an int32"));
  EXPECT_THAT(AssociationTypesProblems(json::object()), ElementsAre("results: required"));
}

}  // namespace
}  // namespace hubspot_simulator
