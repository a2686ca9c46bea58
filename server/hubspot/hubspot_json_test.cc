#include "server/hubspot/hubspot_json.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::google::protobuf::TextFormat;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

template <typename Message>
Message ParseText(const std::string& text) {
  Message message;
  EXPECT_TRUE(TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

MATCHER_P(EqualsProto, expected, "") {
  std::string diff;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  if (differencer.Compare(expected, arg)) return true;
  *result_listener << diff;
  return false;
}

TEST(EncodeArchiveBodyTest, MatchesHubSpotsDocumentedShapeInCallerOrder) {
  const auto request = ParseText<v1::ArchiveAssociationsRequest>(R"pb(
    inputs {
      from_object { id: "101" }
      to_objects { id: "201" }
      to_objects { id: "202" }
    }
    inputs {
      from_object { id: "102" }
      to_objects { id: "203" }
    }
  )pb");
  const std::vector<ArchiveSlice> whole = {ArchiveSlice::Whole(request.inputs(0)),
                                           ArchiveSlice::Whole(request.inputs(1))};
  EXPECT_EQ(EncodeArchiveBody(whole),
            R"({"inputs":[{"from":{"id":"101"},"to":[{"id":"201"},{"id":"202"}]},)"
            R"({"from":{"id":"102"},"to":[{"id":"203"}]}]})");
  const std::vector<ArchiveSlice> tail = {ArchiveSlice::Of(request.inputs(0), 1, 2)};
  EXPECT_EQ(EncodeArchiveBody(tail), R"({"inputs":[{"from":{"id":"101"},"to":[{"id":"202"}]}]})");
}

TEST(EncodeArchiveBodyTest, EscapesWhateverItIsGiven) {
  v1::ArchiveInput input;
  input.mutable_from_object()->set_id("a\"b\\c\n");
  input.add_to_objects()->set_id("\x01");
  const std::vector<ArchiveSlice> slices = {ArchiveSlice::Whole(input)};
  EXPECT_EQ(EncodeArchiveBody(slices),
            R"({"inputs":[{"from":{"id":"a\"b\\c\u000a"},"to":[{"id":"\u0001"}]}]})");
}

TEST(EncodeLabelsArchiveBodyTest, MatchesHubSpotsDocumentedShapeInCallerOrder) {
  const auto request = ParseText<v1::ArchiveAssociationLabelsRequest>(R"pb(
    inputs {
      from_object { id: "101" }
      to_object { id: "201" }
      types { category: USER_DEFINED type_id: 36 }
      types { category: HUBSPOT_DEFINED type_id: 1 }
    }
    inputs {
      from_object { id: "102" }
      to_object { id: "202" }
      types { category: WORK type_id: 7 }
    }
  )pb");
  const std::vector<ArchiveSlice> whole = {ArchiveSlice::Whole(request.inputs(0)),
                                           ArchiveSlice::Whole(request.inputs(1))};
  EXPECT_EQ(EncodeLabelsArchiveBody(whole),
            R"({"inputs":[{"from":{"id":"101"},"to":{"id":"201"},"types":[)"
            R"({"associationCategory":"USER_DEFINED","associationTypeId":36},)"
            R"({"associationCategory":"HUBSPOT_DEFINED","associationTypeId":1}]},)"
            R"({"from":{"id":"102"},"to":{"id":"202"},"types":[)"
            R"({"associationCategory":"WORK","associationTypeId":7}]}]})");
  // A slice sends only its range of types.
  const std::vector<ArchiveSlice> tail = {ArchiveSlice::Of(request.inputs(0), 1, 2)};
  EXPECT_EQ(EncodeLabelsArchiveBody(tail),
            R"({"inputs":[{"from":{"id":"101"},"to":{"id":"201"},"types":[)"
            R"({"associationCategory":"HUBSPOT_DEFINED","associationTypeId":1}]}]})");
  EXPECT_EQ(tail[0].Describe(), "101:201/HUBSPOT_DEFINED:1");
}

TEST(DecodeBatchResponseTest, MirrorsEveryFieldOfAFullBody) {
  const auto result = DecodeBatchResponse(R"({
    "status": "COMPLETE",
    "results": [{"from": {"id": "101"}}, "text", 7, true, null],
    "requestedAt": "2026-03-01T12:00:00Z",
    "startedAt": "2026-03-01T12:00:00.123Z",
    "completedAt": "2026-03-01T12:00:01.5+01:00",
    "numErrors": 1,
    "errors": [{
      "status": "error", "id": "102", "category": "OBJECT_NOT_FOUND",
      "subCategory": {"kind": "missing"}, "message": "not found",
      "errors": [{"message": "m", "code": "c", "in": "inputs[1]", "subCategory": "s",
                  "context": {"ids": ["1", "2"]}}],
      "context": {"fromIds": ["102"]}, "links": {"docs": "https://example.test"}
    }],
    "links": {"self": "https://example.test/self"},
    "unknownField": {"ignored": true}
  })");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(*result, EqualsProto(ParseText<v1::BatchResult>(R"pb(
    status: COMPLETE
    results {
      struct_value {
        fields {
          key: "from"
          value {
            struct_value {
              fields {
                key: "id"
                value { string_value: "101" }
              }
            }
          }
        }
      }
    }
    results { string_value: "text" }
    results { number_value: 7 }
    results { bool_value: true }
    results { null_value: NULL_VALUE }
    requested_at { seconds: 1772366400 }
    started_at { seconds: 1772366400 nanos: 123000000 }
    completed_at { seconds: 1772362801 nanos: 500000000 }
    num_errors: 1
    errors {
      status: "error"
      id: "102"
      category: "OBJECT_NOT_FOUND"
      sub_category {
        struct_value {
          fields {
            key: "kind"
            value { string_value: "missing" }
          }
        }
      }
      message: "not found"
      errors {
        message: "m"
        code: "c"
        in_field: "inputs[1]"
        sub_category: "s"
        context {
          key: "ids"
          value { values: "1" values: "2" }
        }
      }
      context {
        key: "fromIds"
        value { values: "102" }
      }
      links { key: "docs" value: "https://example.test" }
    }
    links { key: "self" value: "https://example.test/self" }
  )pb")));
}

TEST(DecodeBatchResponseTest, MissingOptionalFieldsStayUnsetAndNumErrorsIsCounted) {
  const auto result = DecodeBatchResponse(
      R"({"status":"PROCESSING","results":[],"startedAt":"2026-03-01T12:00:00Z",)"
      R"("completedAt":"2026-03-01T12:00:00Z","errors":[{"message":"a"},{"message":"b"}]})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->status(), v1::BatchResult::PROCESSING);
  EXPECT_FALSE(result->has_requested_at());
  EXPECT_TRUE(result->has_started_at());
  EXPECT_EQ(result->num_errors(), 2);
  EXPECT_TRUE(result->links().empty());
}

// A 2xx body without one of HubSpot's four statuses is not a BatchResponse:
// INTERNAL, never a guessed COMPLETE or STATUS_UNSPECIFIED.
TEST(DecodeBatchResponseTest, AbsentOrUnknownStatusIsInternal) {
  const auto empty = DecodeBatchResponse("{}");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("has no \"status\""));
  const auto unknown = DecodeBatchResponse(R"({"status":"SOMETHING_NEW","results":[]})");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("\"SOMETHING_NEW\" is not PENDING, PROCESSING, CANCELED or COMPLETE"));
}

TEST(DecodeBatchResponseTest, ErrorContextRenderedAsTextIsParsed) {
  const auto result =
      DecodeBatchResponse(R"({"status":"COMPLETE","errors":[{"errors":[{"message":"m",)"
                          R"("context":"{missingScopes=[scope1, scope2], other=[x]}"}]}]})");
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& context = result->errors(0).errors(0).context();
  ASSERT_TRUE(context.contains("missingScopes"));
  EXPECT_THAT(context.at("missingScopes").values(), testing::ElementsAre("scope1", "scope2"));
  EXPECT_THAT(context.at("other").values(), testing::ElementsAre("x"));
}

TEST(DecodeBatchResponseTest, SubCategoryAsStringIsKept) {
  const auto result = DecodeBatchResponse(
      R"({"status":"COMPLETE","errors":[{"subCategory":"ASSOCIATION_MISSING"}]})");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->errors(0).sub_category().string_value(), "ASSOCIATION_MISSING");
}

struct BadBody {
  const char* body;
  const char* named;
};

class DecodeBatchResponseRejectsTest : public testing::TestWithParam<BadBody> {};

TEST_P(DecodeBatchResponseRejectsTest, WithInternalNamingTheField) {
  const auto result = DecodeBatchResponse(GetParam().body);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr(GetParam().named));
}

INSTANTIATE_TEST_SUITE_P(
    WrongTypes, DecodeBatchResponseRejectsTest,
    testing::Values(BadBody{R"({"status":"COMPL)", "not valid JSON"},
                    BadBody{"<html>502</html>", "not valid JSON"}, BadBody{"", "not valid JSON"},
                    BadBody{"[1,2]", "(body)"}, BadBody{R"({"status":4})", "status"},
                    BadBody{R"({"results":{}})", "results"},
                    BadBody{R"({"startedAt":12})", "startedAt"},
                    BadBody{R"({"completedAt":"yesterday"})", "completedAt"},
                    BadBody{R"({"numErrors":"3"})", "numErrors"},
                    BadBody{R"({"numErrors":99999999999})", "numErrors"},
                    BadBody{R"({"errors":{}})", "errors"},
                    BadBody{R"({"errors":[{"message":5}]})", "errors[0].message"},
                    BadBody{R"({"errors":[{"errors":[{"code":[]}]}]})", "errors[0].errors[0].code"},
                    BadBody{R"({"errors":[{"context":{"k":{"a":1}}}]})", "errors[0].context.k"},
                    BadBody{R"({"links":[]})", "links"}));

TEST(DecodeBatchResponseTest, RefusesPathologicallyDeepResults) {
  std::string deep = R"({"results":[)" + std::string(200, '[') + std::string(200, ']') + "]}";
  const auto result = DecodeBatchResponse(deep);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("too deeply"));
}

TEST(DecodeAssociationLabelsTest, KeepsEachTypeInOrderWithANullLabelWhenThereIsNone) {
  const auto result = DecodeAssociationLabels(
      R"({"results":[{"category":"HUBSPOT_DEFINED","typeId":279,"label":null},)"
      R"({"category":"USER_DEFINED","typeId":36,"label":"Billing contact"},)"
      R"({"category":"HUBSPOT_DEFINED","typeId":1}],"paging":{}})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(*result, EqualsProto(ParseText<v1::BatchResult>(R"pb(
    status: COMPLETE
    results {
      struct_value {
        fields {
          key: "category"
          value { string_value: "HUBSPOT_DEFINED" }
        }
        fields {
          key: "typeId"
          value { number_value: 279 }
        }
        fields {
          key: "label"
          value { null_value: NULL_VALUE }
        }
      }
    }
    results {
      struct_value {
        fields {
          key: "category"
          value { string_value: "USER_DEFINED" }
        }
        fields {
          key: "typeId"
          value { number_value: 36 }
        }
        fields {
          key: "label"
          value { string_value: "Billing contact" }
        }
      }
    }
    results {
      struct_value {
        fields {
          key: "category"
          value { string_value: "HUBSPOT_DEFINED" }
        }
        fields {
          key: "typeId"
          value { number_value: 1 }
        }
        fields {
          key: "label"
          value { null_value: NULL_VALUE }
        }
      }
    }
  )pb")));
}

TEST(DecodeAssociationLabelsTest, AnythingButAListOfTypesIsInternalNamingTheField) {
  const struct {
    const char* body;
    const char* names;
  } cases[] = {
      {"not json", "not valid JSON"},
      {"[]", "'(body)'"},
      {"{}", "'results'"},
      {R"({"results":{}})", "'results'"},
      {R"({"results":[7]})", "'results[0]'"},
      {R"({"results":[{"typeId":1}]})", "'results[0].category'"},
      {R"({"results":[{"category":"HUBSPOT_DEFINED","typeId":"279"}]})", "'results[0].typeId'"},
      {R"({"results":[{"category":"HUBSPOT_DEFINED","typeId":4294967296}]})",
       "'results[0].typeId'"},
      {R"({"results":[{"category":"HUBSPOT_DEFINED","typeId":1,"label":5}]})",
       "'results[0].label'"},
  };
  for (const auto& c : cases) {
    const auto result = DecodeAssociationLabels(c.body);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal) << c.body;
    EXPECT_THAT(result.status().message(), HasSubstr(c.names)) << c.body;
  }
}

TEST(ParseHubSpotTimeTest, AcceptsEveryFormHubSpotUses) {
  const absl::Time base = absl::FromUnixSeconds(1772366400);
  EXPECT_EQ(*ParseHubSpotTime("2026-03-01T12:00:00Z"), base);
  EXPECT_EQ(*ParseHubSpotTime("2026-03-01T12:00:00.250Z"), base + absl::Milliseconds(250));
  EXPECT_EQ(*ParseHubSpotTime("2026-03-01T12:00:00.123456789Z"),
            base + absl::Nanoseconds(123456789));
  EXPECT_EQ(*ParseHubSpotTime("2026-03-01T13:00:00+01:00"), base);
  EXPECT_FALSE(ParseHubSpotTime("2026-03-01").ok());
  EXPECT_FALSE(ParseHubSpotTime("").ok());
}

TEST(ToTimestampTest, SplitsSecondsAndNanos) {
  const auto ts = ToTimestamp(absl::FromUnixMillis(1772366400123));
  EXPECT_EQ(ts.seconds(), 1772366400);
  EXPECT_EQ(ts.nanos(), 123000000);
}

TEST(ToTimestampTest, RoundsDownToTheNanosecondBeforeTheEpochToo) {
  const auto before_epoch = ToTimestamp(absl::FromUnixMillis(-1));
  EXPECT_EQ(before_epoch.seconds(), -1);
  EXPECT_EQ(before_epoch.nanos(), 999000000);
  const auto sub_nanosecond = ToTimestamp(absl::FromUnixNanos(7) + absl::Nanoseconds(0.75));
  EXPECT_EQ(sub_nanosecond.seconds(), 0);
  EXPECT_EQ(sub_nanosecond.nanos(), 7);
}

TEST(ToTimestampTest, SaturatesBeyondInt64Nanoseconds) {
  const auto far_future = ToTimestamp(absl::InfiniteFuture());
  EXPECT_EQ(far_future.seconds(), INT64_MAX / 1000000000);
  EXPECT_EQ(far_future.nanos(), INT64_MAX % 1000000000);
}

TEST(DecodeUpstreamErrorTest, KeepsEveryFieldOfHubSpotsErrorBody) {
  const auto error = DecodeUpstreamError(403, R"({
    "status":"error","message":"missing scopes","correlationId":"c-1",
    "category":"MISSING_SCOPES","subCategory":"sub",
    "errors":[{"message":"need","context":{"requiredGranularScopes":["crm.objects.contacts.write"]}}],
    "context":{"k":["v"]},"links":{"scopes":"https://example.test"}})");
  EXPECT_THAT(error, EqualsProto(ParseText<v1::UpstreamError>(R"pb(
                http_status: 403
                status: "error"
                category: "MISSING_SCOPES"
                sub_category { string_value: "sub" }
                message: "missing scopes"
                correlation_id: "c-1"
                errors {
                  message: "need"
                  context {
                    key: "requiredGranularScopes"
                    value { values: "crm.objects.contacts.write" }
                  }
                }
                context {
                  key: "k"
                  value { values: "v" }
                }
                links { key: "scopes" value: "https://example.test" }
              )pb")));
}

TEST(DecodeUpstreamErrorTest, KeepsRateLimitFields) {
  const auto error = DecodeUpstreamError(
      429, R"({"status":"error","message":"You have reached your daily limit.",)"
           R"("errorType":"RATE_LIMIT","correlationId":"c","policyName":"DAILY","requestId":"r"})");
  EXPECT_EQ(error.policy_name(), "DAILY");
  EXPECT_EQ(error.error_type(), "RATE_LIMIT");
  EXPECT_EQ(error.request_id(), "r");
}

TEST(DecodeUpstreamErrorTest, NonJsonBodyIsKeptPrintableAndTruncated) {
  const auto error =
      DecodeUpstreamError(502, "<html>\n\xff bad gateway</html>" + std::string(2000, 'x'));
  EXPECT_EQ(error.http_status(), 502);
  EXPECT_TRUE(absl::StartsWith(error.raw_body(), "<html> ? bad gateway</html>"));
  EXPECT_EQ(error.raw_body().size(), 512u);
  EXPECT_TRUE(error.message().empty());
}

TEST(DecodeUpstreamErrorTest, MistypedFieldsAreSkippedNotFatal) {
  const auto error = DecodeUpstreamError(
      400, R"({"message":["x"],"correlationId":"c-2","errors":"oops","links":[]})");
  EXPECT_EQ(error.correlation_id(), "c-2");
  EXPECT_TRUE(error.message().empty());
  EXPECT_TRUE(error.errors().empty());
}

}  // namespace
}  // namespace hubspot_gateway
