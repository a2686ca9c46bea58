#include "server/flow/flow_window.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(FlowWindowTest, CountsTheWindowPerFlow) {
  FlowWindow window(absl::Seconds(10));
  const absl::Time t0 = absl::UnixEpoch();
  window.Record("heavy", /*interactive=*/true, t0);
  window.Record("heavy", /*interactive=*/false, t0 + absl::Seconds(1));
  window.Record("light", /*interactive=*/true, t0 + absl::Seconds(2));
  EXPECT_EQ(window.Total(t0 + absl::Seconds(2)), 3);
  EXPECT_EQ(window.Count("heavy", t0 + absl::Seconds(2)), 2);
  EXPECT_EQ(window.Count("light", t0 + absl::Seconds(2)), 1);
  EXPECT_EQ(window.Count("unknown", t0 + absl::Seconds(2)), 0);
  EXPECT_EQ(window.InteractiveCount("heavy", t0 + absl::Seconds(2)), 1);
  EXPECT_EQ(window.InteractiveCount("light", t0 + absl::Seconds(2)), 1);
  EXPECT_EQ(window.NextLeave(), t0 + absl::Seconds(10));
  // The first heavy request left.
  EXPECT_EQ(window.Total(t0 + absl::Seconds(10)), 2);
  EXPECT_EQ(window.Count("heavy", t0 + absl::Seconds(10)), 1);
  EXPECT_EQ(window.InteractiveCount("heavy", t0 + absl::Seconds(10)), 0);
  EXPECT_EQ(window.Total(t0 + absl::Seconds(20)), 0);
  EXPECT_EQ(window.NextLeave(), absl::InfiniteFuture());
  // Filled again after it emptied.
  window.Record("light", /*interactive=*/false, t0 + absl::Seconds(21));
  EXPECT_EQ(window.Total(t0 + absl::Seconds(21)), 1);
  EXPECT_EQ(window.NextLeave(), t0 + absl::Seconds(31));
}

TEST(FlowWindowTest, ALongRunKeepsOnlyTheWindow) {
  FlowWindow window(absl::Seconds(10));
  const absl::Time t0 = absl::UnixEpoch();
  for (int i = 0; i < 1000; ++i) {
    window.Record(i % 2 == 0 ? "a" : "b", i % 4 == 0, t0 + absl::Milliseconds(100 * i));
    // 100 sends per 10 s: the window holds the last 100 (fewer at first).
    ASSERT_EQ(window.Total(t0 + absl::Milliseconds(100 * i)), std::min(i + 1, 100)) << i;
  }
  const absl::Time end = t0 + absl::Milliseconds(100 * 999);
  EXPECT_EQ(window.Count("a", end), 50);
  EXPECT_EQ(window.InteractiveCount("a", end), 25);
  EXPECT_EQ(window.InteractiveCount("b", end), 0);
  EXPECT_EQ(window.NextLeave(), end - absl::Milliseconds(100 * 99) + absl::Seconds(10));
}

}  // namespace
}  // namespace hubspot_gateway
