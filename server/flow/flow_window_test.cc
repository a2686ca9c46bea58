#include "server/flow/flow_window.h"

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(FlowWindowTest, CountsTheWindowPerFlow) {
  FlowWindow window(absl::Seconds(10));
  const absl::Time t0 = absl::UnixEpoch();
  window.Record("heavy", t0);
  window.Record("heavy", t0 + absl::Seconds(1));
  window.Record("light", t0 + absl::Seconds(2));
  EXPECT_EQ(window.Total(t0 + absl::Seconds(2)), 3);
  EXPECT_EQ(window.Count("heavy", t0 + absl::Seconds(2)), 2);
  EXPECT_EQ(window.Count("light", t0 + absl::Seconds(2)), 1);
  EXPECT_EQ(window.Count("unknown", t0 + absl::Seconds(2)), 0);
  EXPECT_EQ(window.NextLeave(), t0 + absl::Seconds(10));
  // The first heavy request left.
  EXPECT_EQ(window.Total(t0 + absl::Seconds(10)), 2);
  EXPECT_EQ(window.Count("heavy", t0 + absl::Seconds(10)), 1);
  EXPECT_EQ(window.Total(t0 + absl::Seconds(20)), 0);
  EXPECT_EQ(window.NextLeave(), absl::InfiniteFuture());
}

}  // namespace
}  // namespace hubspot_gateway
