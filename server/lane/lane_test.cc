#include "server/lane/lane.h"

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(LaneTest, ParsesItsOwnNamesOnly) {
  for (Lane lane : {Lane::kInteractive, Lane::kBulk}) {
    Lane parsed = lane == Lane::kBulk ? Lane::kInteractive : Lane::kBulk;
    ASSERT_TRUE(ParseLane(LaneName(lane), &parsed));
    EXPECT_EQ(parsed, lane);
  }
  Lane untouched = Lane::kBulk;
  EXPECT_FALSE(ParseLane("Interactive", &untouched));
  EXPECT_FALSE(ParseLane("", &untouched));
  EXPECT_EQ(untouched, Lane::kBulk);
}

}  // namespace
}  // namespace hubspot_gateway
