#include "client/bulk_pairs.h"

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(BulkPairsTest, CsvLinesHeaderCommentsAndBlanks) {
  EXPECT_EQ(ParsePairLine("101,201", PairFormat::kCsv)->value().to, "201");
  EXPECT_EQ(ParsePairLine(" 101 , 201 \r", PairFormat::kCsv)->value().from, "101");
  EXPECT_FALSE(ParsePairLine("from,to", PairFormat::kCsv)->has_value());
  EXPECT_FALSE(ParsePairLine("# comment", PairFormat::kCsv)->has_value());
  EXPECT_FALSE(ParsePairLine("   ", PairFormat::kCsv)->has_value());
  EXPECT_FALSE(ParsePairLine("101", PairFormat::kCsv).ok());
  EXPECT_FALSE(ParsePairLine("1,2,3", PairFormat::kCsv).ok());
  EXPECT_FALSE(ParsePairLine("1,", PairFormat::kCsv).ok());
}

TEST(BulkPairsTest, JsonLinesWithStringOrNumberIds) {
  auto pair = ParsePairLine(R"({"from":"101","to":201})", PairFormat::kJsonLines);
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(pair->value().from, "101");
  EXPECT_EQ(pair->value().to, "201");
  EXPECT_FALSE(ParsePairLine(R"({"from":"1"})", PairFormat::kJsonLines).ok());
  EXPECT_FALSE(ParsePairLine(R"({"from":-1,"to":2})", PairFormat::kJsonLines).ok());
  EXPECT_FALSE(ParsePairLine("not json", PairFormat::kJsonLines).ok());
}

TEST(BulkPairsTest, IdsMustBeDigitsAndLinesValidUtf8) {
  EXPECT_FALSE(ParsePairLine("\xff\xfe,5", PairFormat::kCsv).ok());
  EXPECT_FALSE(ParsePairLine("1,\xc0\xaf", PairFormat::kCsv).ok());      // An overlong "/".
  EXPECT_FALSE(ParsePairLine("1,\xed\xa0\x80", PairFormat::kCsv).ok());  // A surrogate.
  EXPECT_FALSE(ParsePairLine("abc,5", PairFormat::kCsv).ok());
  EXPECT_FALSE(ParsePairLine("1,123456789012345678901", PairFormat::kCsv).ok());
  EXPECT_FALSE(ParsePairLine(R"({"from":"x","to":"2"})", PairFormat::kJsonLines).ok());
  EXPECT_TRUE(ParsePairLine("12345678901234567890,5", PairFormat::kCsv).ok());
  EXPECT_TRUE(ParsePairLine("# caf\xc3\xa9 \xf0\x9f\x98\x80", PairFormat::kCsv).ok());
  const auto bad = ParsePairLine("\xff\xfe,5", PairFormat::kCsv);
  EXPECT_NE(bad.status().message().find("\\xff\\xfe"), std::string::npos) << bad.status().message();
}

// Issue 21: Excel's "CSV UTF-8" starts the file with a byte order mark.
TEST(BulkPairsTest, AByteOrderMarkIsSkipped) {
  EXPECT_FALSE(ParsePairLine("\xEF\xBB\xBF"
                             "from,to",
                             PairFormat::kCsv)
                   ->has_value());
  EXPECT_EQ(ParsePairLine("\xEF\xBB\xBF"
                          "101,201",
                          PairFormat::kCsv)
                ->value()
                .from,
            "101");
  EXPECT_EQ(ParsePairLine("\xEF\xBB\xBF"
                          R"({"from":"1","to":"2"})",
                          PairFormat::kJsonLines)
                ->value()
                .to,
            "2");
  EXPECT_FALSE(ParsePairLine("1\xEF\xBB\xBF,2", PairFormat::kCsv).ok());  // Only at the start.
}

// Issue 21: {"from":"1","to":"2","to":"3"} archived 1:3 silently.
TEST(BulkPairsTest, AJsonKeyGivenTwiceIsRefused) {
  const auto twice = ParsePairLine(R"({"from":"1","to":"2","to":"3"})", PairFormat::kJsonLines);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("\"to\" appears twice"), std::string::npos)
      << twice.status().message();
  EXPECT_FALSE(ParsePairLine(R"({"from":"1","from":"1","to":"3"})", PairFormat::kJsonLines).ok());
}

TEST(BulkPairsTest, FormattedLinesReadBack) {
  for (PairFormat format : {PairFormat::kCsv, PairFormat::kJsonLines}) {
    const auto back = ParsePairLine(FormatPairLine({"7", "8"}, format), format);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->value().from, "7");
    EXPECT_EQ(back->value().to, "8");
  }
  EXPECT_EQ(FormatForPath("x.jsonl"), PairFormat::kJsonLines);
  EXPECT_EQ(FormatForPath("x.csv"), PairFormat::kCsv);
  EXPECT_EQ(FormatForPath("-"), PairFormat::kCsv);
}

}  // namespace
}  // namespace hubspot_gateway
