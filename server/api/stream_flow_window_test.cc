#include "server/api/stream_flow_window.h"

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(StreamFlowWindowTest, OneReadAtATime) {
  StreamFlowWindow window(FlowLimits{});
  EXPECT_TRUE(window.TryStartRead(0));
  EXPECT_TRUE(window.read_pending());
  EXPECT_FALSE(window.TryStartRead(0));
  window.ReadDone(/*archiving=*/false);
  EXPECT_FALSE(window.read_pending());
  EXPECT_EQ(window.in_flight(), 0);
  EXPECT_TRUE(window.TryStartRead(0));
}

TEST(StreamFlowWindowTest, ReadsNoFurtherThanItsRequestsInFlight) {
  StreamFlowWindow window(FlowLimits{/*max_in_flight=*/2});
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(window.TryStartRead(0));
    window.ReadDone(/*archiving=*/true);
  }
  EXPECT_EQ(window.in_flight(), 2);
  EXPECT_FALSE(window.TryStartRead(0));
  window.ArchiveDone();
  EXPECT_EQ(window.in_flight(), 1);
  EXPECT_TRUE(window.TryStartRead(0));
}

TEST(StreamFlowWindowTest, StopsReadingWhileTooMuchWaitsBehindAPendingWrite) {
  StreamFlowWindow window(FlowLimits{/*max_in_flight=*/4, /*max_unsent_bytes=*/100});
  // Without a write under way, what is unsent goes out with the next one.
  EXPECT_TRUE(window.TryStartRead(1000));
  window.ReadDone(false);
  window.WriteStarted();
  EXPECT_TRUE(window.write_pending());
  EXPECT_TRUE(window.TryStartRead(100));  // At the bound: still reads.
  window.ReadDone(false);
  EXPECT_FALSE(window.TryStartRead(101));
  window.WriteDone();
  EXPECT_FALSE(window.write_pending());
  EXPECT_TRUE(window.TryStartRead(101));
}

TEST(StreamFlowWindowTest, AHigherAdaptiveLimitLetsMoreBeInFlight) {
  StreamFlowWindow window(FlowLimits{/*max_in_flight=*/1, /*max_unsent_bytes=*/100});
  EXPECT_TRUE(window.TryStartRead(0, /*adaptive_in_flight=*/3));
  window.ReadDone(true);
  EXPECT_FALSE(window.TryStartRead(0));  // One in flight: its own cap.
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(window.TryStartRead(0, 3));
    window.ReadDone(true);
  }
  EXPECT_FALSE(window.TryStartRead(0, 3));
  EXPECT_EQ(window.in_flight(), 3);
}

}  // namespace
}  // namespace hubspot_gateway
