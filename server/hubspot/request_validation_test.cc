#include "server/hubspot/request_validation.h"

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;

template <typename Request = v1::ArchiveAssociationsRequest>
Request Parse(const std::string& text) {
  Request request;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &request));
  return request;
}

v1::ArchiveAssociationsRequest Request(const std::string& text) { return Parse(text); }

constexpr char kValid[] = R"pb(
  from_object_type: "contacts"
  to_object_type: "companies"
  inputs {
    from_object { id: "101" }
    to_objects { id: "201" }
    to_objects { id: "202" }
  }
  inputs {
    from_object { id: "12345678901234567890" }
    to_objects { id: "1" }
  }
)pb";

TEST(ValidateArchiveRequestTest, AcceptsAValidRequest) {
  EXPECT_TRUE(ValidateArchiveRequest(Request(kValid)).ok());
}

TEST(IsValidObjectTypeTest, AcceptsEveryDocumentedForm) {
  for (const std::string& type :
       std::vector<std::string>{"contacts", "companies", "0-1", "0-8", "2-123456",
                                "p7878787_my_object", std::string(64, 'a')}) {
    EXPECT_TRUE(IsValidObjectType(type)) << type;
  }
  for (const std::string& type : std::vector<std::string>{"", "con tacts", "contacts/../deals",
                                                          "deals?x=1", "ü", std::string(65, 'a')}) {
    EXPECT_FALSE(IsValidObjectType(type)) << type;
  }
}

TEST(IsValidRecordIdTest, AcceptsOneToTwentyDigits) {
  EXPECT_TRUE(IsValidRecordId("0"));
  EXPECT_TRUE(IsValidRecordId("12345678901234567890"));
  EXPECT_FALSE(IsValidRecordId(""));
  EXPECT_FALSE(IsValidRecordId("123456789012345678901"));
  EXPECT_FALSE(IsValidRecordId("-1"));
  EXPECT_FALSE(IsValidRecordId("1e5"));
  EXPECT_FALSE(IsValidRecordId(" 1"));
}

struct Case {
  const char* request;
  const char* message;
};

class ValidateArchiveRequestRejectsTest : public testing::TestWithParam<Case> {};

TEST_P(ValidateArchiveRequestRejectsTest, NamingTheOffendingField) {
  const absl::Status status = ValidateArchiveRequest(Request(GetParam().request));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ValidateArchiveRequestRejectsTest,
    testing::Values(
        Case{R"pb(to_object_type: "companies"
                  inputs {
                    from_object { id: "1" }
                    to_objects { id: "2" }
                  })pb",
             "from_object_type: \"\" is not an object type (expected 1-64 of A-Z a-z 0-9 _ -, "
             "e.g. \"contacts\", \"0-1\", \"p123_thing\")"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "com/panies"
                  inputs {
                    from_object { id: "1" }
                    to_objects { id: "2" }
                  })pb",
             "to_object_type: \"com/panies\" is not an object type (expected 1-64 of A-Z a-z "
             "0-9 _ -, e.g. \"contacts\", \"0-1\", \"p123_thing\")"},
        Case{R"pb(from_object_type: "contacts" to_object_type: "companies")pb",
             "inputs: at least one input is required"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs {
                    from_object { id: "1" }
                    to_objects { id: "2" }
                  }
                  inputs { to_objects { id: "2" } })pb",
             "inputs[1].from_object: required"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs {
                    from_object { id: "abc" }
                    to_objects { id: "2" }
                  })pb",
             "inputs[0].from_object.id: \"abc\" is not 1-20 decimal digits"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs { from_object { id: "1" } })pb",
             "inputs[0].to_objects: at least one is required"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs {
                    from_object { id: "1" }
                    to_objects { id: "2" }
                    to_objects { id: "" }
                  })pb",
             "inputs[0].to_objects[1].id: \"\" is not 1-20 decimal digits"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs {
                    from_object { id: "1" }
                    to_objects { id: "\n\"" }
                  })pb",
             "inputs[0].to_objects[0].id: \"\\n\\\"\" is not 1-20 decimal digits"}));

TEST(ValidateArchiveRequestTest, LongValuesAreTruncatedInTheMessage) {
  auto request = Request(kValid);
  request.mutable_inputs(0)->mutable_from_object()->set_id(std::string(500, 'x'));
  const absl::Status status = ValidateArchiveRequest(request);
  EXPECT_EQ(status.message(), "inputs[0].from_object.id: \"" + std::string(40, 'x') +
                                  "...\" is not 1-20 decimal digits");
}

v1::ArchiveAssociationLabelsRequest LabelsRequest(const std::string& text) {
  return Parse<v1::ArchiveAssociationLabelsRequest>(text);
}

constexpr char kValidLabels[] = R"pb(
  from_object_type: "contacts"
  to_object_type: "companies"
  inputs {
    from_object { id: "101" }
    to_object { id: "201" }
    types { category: USER_DEFINED type_id: 36 }
    types { category: WORK type_id: 1 }
  }
)pb";

TEST(ValidateLabelsArchiveRequestTest, AcceptsAValidRequest) {
  EXPECT_TRUE(ValidateLabelsArchiveRequest(LabelsRequest(kValidLabels)).ok());
}

class ValidateLabelsArchiveRequestRejectsTest : public testing::TestWithParam<Case> {};

TEST_P(ValidateLabelsArchiveRequestRejectsTest, NamingTheOffendingField) {
  const absl::Status status = ValidateLabelsArchiveRequest(LabelsRequest(GetParam().request));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ValidateLabelsArchiveRequestRejectsTest,
    testing::Values(
        Case{R"pb(from_object_type: "contacts" to_object_type: "companies")pb",
             "inputs: at least one input is required"},
        Case{R"pb(from_object_type: "con tacts"
                  to_object_type: "companies"
                  inputs {
                    from_object { id: "1" }
                    to_object { id: "2" }
                    types { category: USER_DEFINED type_id: 36 }
                  })pb",
             "from_object_type: \"con tacts\" is not an object type (expected 1-64 of A-Z a-z "
             "0-9 _ -, e.g. \"contacts\", \"0-1\", \"p123_thing\")"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs {
                    to_object { id: "2" }
                    types { category: USER_DEFINED type_id: 36 }
                  })pb",
             "inputs[0].from_object: required"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs {
                    from_object { id: "1" }
                    types { category: USER_DEFINED type_id: 36 }
                  })pb",
             "inputs[0].to_object: required"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs {
                    from_object { id: "1" }
                    to_object { id: "x2" }
                    types { category: USER_DEFINED type_id: 36 }
                  })pb",
             "inputs[0].to_object.id: \"x2\" is not 1-20 decimal digits"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs {
                    from_object { id: "1" }
                    to_object { id: "2" }
                  })pb",
             "inputs[0].types: at least one is required"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs {
                    from_object { id: "1" }
                    to_object { id: "2" }
                    types { category: USER_DEFINED type_id: 36 }
                    types { type_id: 36 }
                  })pb",
             "inputs[0].types[1].category: required (HUBSPOT_DEFINED, INTEGRATOR_DEFINED, "
             "USER_DEFINED or WORK), got 0"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs {
                    from_object { id: "1" }
                    to_object { id: "2" }
                    types { category: 9 type_id: 36 }
                  })pb",
             "inputs[0].types[0].category: required (HUBSPOT_DEFINED, INTEGRATOR_DEFINED, "
             "USER_DEFINED or WORK), got 9"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs {
                    from_object { id: "1" }
                    to_object { id: "2" }
                    types { category: WORK type_id: 0 }
                  })pb",
             "inputs[0].types[0].type_id: must be HubSpot's associationTypeId (> 0), got 0"},
        Case{R"pb(from_object_type: "contacts"
                  to_object_type: "companies"
                  inputs {
                    from_object { id: "1" }
                    to_object { id: "2" }
                    types { category: WORK type_id: -5 }
                  })pb",
             "inputs[0].types[0].type_id: must be HubSpot's associationTypeId (> 0), got -5"}));

}  // namespace
}  // namespace hubspot_gateway
