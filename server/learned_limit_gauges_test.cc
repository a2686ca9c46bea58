#include "server/learned_limit_gauges.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Exposition(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

std::string Series(absl::string_view token, absl::string_view value) {
  return absl::StrCat("gateway_learned_rate_limit_requests_per_second{token=\"", token, "\"} ",
                      value, "\n");
}

TEST(LearnedLimitGaugesTest, EachTokensLimitPerSecondWhateverTheInterval) {
  prometheus::Registry registry;
  LearnedLimitGauges gauges(registry, 3);
  gauges.Set("0a1b2c3d", 190, absl::Seconds(10));
  gauges.Set("4e5f6a7b", 5, absl::Seconds(1));
  gauges.Set("0a1b2c3d", 150, absl::Seconds(10));
  const std::string text = Exposition(registry);
  EXPECT_THAT(text, HasSubstr(Series("0a1b2c3d", "15")));
  EXPECT_THAT(text, HasSubstr(Series("4e5f6a7b", "5")));
}

TEST(LearnedLimitGaugesTest, TokensPastTheLabelsShareOtherWithTheLowestLimit) {
  prometheus::Registry registry;
  LearnedLimitGauges gauges(registry, 2);
  gauges.Set("00000001", 100, absl::Seconds(10));
  gauges.Set("00000002", 100, absl::Seconds(10));
  gauges.Set("00000003", 190, absl::Seconds(10));
  gauges.Set("00000004", 50, absl::Seconds(10));
  std::string text = Exposition(registry);
  EXPECT_THAT(text, HasSubstr(Series("00000001", "10")));
  EXPECT_THAT(text, HasSubstr(Series("00000002", "10")));
  EXPECT_THAT(text, HasSubstr(Series("other", "5")));
  EXPECT_THAT(text, Not(HasSubstr("00000003")));
  EXPECT_THAT(text, Not(HasSubstr("00000004")));

  // The lowest of the others leaves: "other" shows the next lowest.
  gauges.Forget("00000004");
  EXPECT_THAT(Exposition(registry), HasSubstr(Series("other", "19")));
  // A labelled token leaves: its series goes and its label is free. A token
  // already counted in "other" stays there.
  gauges.Forget("00000001");
  gauges.Set("00000003", 200, absl::Seconds(10));
  gauges.Set("00000005", 30, absl::Seconds(10));
  text = Exposition(registry);
  EXPECT_THAT(text, Not(HasSubstr("00000001")));
  EXPECT_THAT(text, HasSubstr(Series("00000005", "3")));
  EXPECT_THAT(text, HasSubstr(Series("other", "20")));
  // The last of the others leaves: no "other" series.
  gauges.Forget("00000003");
  EXPECT_THAT(Exposition(registry), Not(HasSubstr("token=\"other\"")));
}

TEST(LearnedLimitGaugesTest, ForgettingAnUnknownTokenChangesNothing) {
  prometheus::Registry registry;
  LearnedLimitGauges gauges(registry, 1);
  gauges.Set("0a1b2c3d", 100, absl::Seconds(10));
  gauges.Forget("ffffffff");
  EXPECT_THAT(Exposition(registry), HasSubstr(Series("0a1b2c3d", "10")));
}

}  // namespace
}  // namespace hubspot_gateway
