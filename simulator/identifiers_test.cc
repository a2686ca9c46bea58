#include "simulator/identifiers.h"

#include <string>

#include "gtest/gtest.h"

namespace hubspot_simulator {
namespace {

TEST(IdentifiersTest, ObjectTypes) {
  EXPECT_TRUE(IsValidObjectType("contacts"));
  EXPECT_TRUE(IsValidObjectType("0-1"));
  EXPECT_TRUE(IsValidObjectType("p7878787_my_object"));
  EXPECT_TRUE(IsValidObjectType(std::string(64, 'a')));
  EXPECT_FALSE(IsValidObjectType(""));
  EXPECT_FALSE(IsValidObjectType(std::string(65, 'a')));
  EXPECT_FALSE(IsValidObjectType("con tacts"));
  EXPECT_FALSE(IsValidObjectType("a/b"));
  EXPECT_FALSE(IsValidObjectType("caf\xc3\xa9"));
}

TEST(IdentifiersTest, CanonicalObjectTypeMapsStandardIds) {
  EXPECT_EQ(CanonicalObjectType("0-1"), "contacts");
  EXPECT_EQ(CanonicalObjectType("0-2"), "companies");
  EXPECT_EQ(CanonicalObjectType("0-8"), "line_items");
  EXPECT_EQ(CanonicalObjectType("contacts"), "contacts");
  EXPECT_EQ(CanonicalObjectType("2-123"), "2-123");
}

TEST(IdentifiersTest, RecordIds) {
  EXPECT_TRUE(IsValidRecordId("1"));
  EXPECT_TRUE(IsValidRecordId("0"));
  EXPECT_TRUE(IsValidRecordId(std::string(20, '9')));
  EXPECT_FALSE(IsValidRecordId(""));
  EXPECT_FALSE(IsValidRecordId(std::string(21, '1')));
  EXPECT_FALSE(IsValidRecordId("-1"));
  EXPECT_FALSE(IsValidRecordId("1.0"));
  EXPECT_FALSE(IsValidRecordId(" 1"));
  EXPECT_FALSE(IsValidRecordId("12a"));
}

TEST(IdentifiersTest, CanonicalRecordIdDropsLeadingZeros) {
  EXPECT_EQ(CanonicalRecordId("007"), "7");
  EXPECT_EQ(CanonicalRecordId("000"), "0");
  EXPECT_EQ(CanonicalRecordId("100"), "100");
}

TEST(IdentifiersTest, RecordIdLessIsNumeric) {
  EXPECT_TRUE(RecordIdLess("9", "10"));
  EXPECT_FALSE(RecordIdLess("10", "9"));
  EXPECT_TRUE(RecordIdLess("101", "102"));
  EXPECT_FALSE(RecordIdLess("5", "5"));
  EXPECT_TRUE(RecordIdLess("18446744073709551615", "99999999999999999999"));
}

TEST(IdentifiersTest, UnlabeledTypeDependsOnThePairAndItsDirection) {
  EXPECT_EQ(UnlabeledType("contacts", "companies"), (AssociationLabel{"HUBSPOT_DEFINED", 279}));
  EXPECT_EQ(UnlabeledType("0-2", "0-1"), (AssociationLabel{"HUBSPOT_DEFINED", 280}));
  EXPECT_EQ(UnlabeledType("deals", "contacts"), (AssociationLabel{"HUBSPOT_DEFINED", 3}));
  EXPECT_EQ(UnlabeledType("p123_thing", "contacts"), (AssociationLabel{"HUBSPOT_DEFINED", 1}));
}

}  // namespace
}  // namespace hubspot_simulator
