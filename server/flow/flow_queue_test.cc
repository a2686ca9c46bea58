#include "server/flow/flow_queue.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::ElementsAre;

// Takes the next `n` items one at a time, the way a dispatcher sends them.
std::vector<std::string> Serve(FlowQueue<std::string>& queue, int n) {
  std::vector<std::string> served;
  for (int i = 0; i < n && !queue.empty(); ++i) {
    int left = 1;
    for (std::string& item : queue.Take([&](const std::string&, const std::string&) {
           return left-- > 0 ? Pick::kTake : Pick::kStop;
         })) {
      served.push_back(std::move(item));
    }
  }
  return served;
}

const int kCallA = 0;
const int kCallB = 0;
const int kCallC = 0;

TEST(FlowQueueTest, AFlowWithOneItemIsServedBeforeADeepQueueIsDrained) {
  FlowQueue<std::string> queue;
  for (int i = 0; i < 20; ++i) queue.Push({"heavy"}, &kCallA, "h" + std::to_string(i), 1.0);
  EXPECT_THAT(Serve(queue, 2), ElementsAre("h0", "h1"));
  queue.Push({"light"}, &kCallB, "l0", 1.0);
  // The light flow starts at the system's virtual time, so it goes next.
  EXPECT_THAT(Serve(queue, 2), ElementsAre("l0", "h2"));
  EXPECT_EQ(queue.size(), 17u);
}

TEST(FlowQueueTest, BackloggedFlowsAlternate) {
  FlowQueue<std::string> queue;
  for (int i = 0; i < 3; ++i) queue.Push({"a"}, &kCallA, "a" + std::to_string(i), 1.0);
  for (int i = 0; i < 3; ++i) queue.Push({"b"}, &kCallB, "b" + std::to_string(i), 1.0);
  EXPECT_THAT(Serve(queue, 6), ElementsAre("a0", "b0", "a1", "b1", "a2", "b2"));
  EXPECT_TRUE(queue.empty());
}

TEST(FlowQueueTest, WeightsShareInProportion) {
  FlowQueue<std::string> queue;
  for (int i = 0; i < 6; ++i) queue.Push({"double", 2.0}, &kCallA, "d", 1.0);
  for (int i = 0; i < 6; ++i) queue.Push({"single", 1.0}, &kCallB, "s", 1.0);
  const std::vector<std::string> served = Serve(queue, 9);
  EXPECT_EQ(std::count(served.begin(), served.end(), "d"), 6);
  EXPECT_EQ(std::count(served.begin(), served.end(), "s"), 3);
}

TEST(FlowQueueTest, CostsCountSmallItemsAsPartsOfARequest) {
  FlowQueue<std::string> queue;
  for (int i = 0; i < 4; ++i) queue.Push({"full"}, &kCallA, "f", 1.0);
  for (int i = 0; i < 8; ++i) queue.Push({"small"}, &kCallB, "s", 0.25);
  // Eight items of a quarter each cost two full ones.
  const std::vector<std::string> served = Serve(queue, 10);
  EXPECT_EQ(std::count(served.begin(), served.end(), "s"), 8);
  EXPECT_EQ(std::count(served.begin(), served.end(), "f"), 2);
}

TEST(FlowQueueTest, CallsOfOneFlowAreServedRoundRobin) {
  FlowQueue<std::string> queue;
  int call1 = 0;
  int call2 = 0;
  int call3 = 0;
  for (int i = 0; i < 3; ++i) queue.Push({"f"}, &call1, "x" + std::to_string(i), 1.0);
  for (int i = 0; i < 2; ++i) queue.Push({"f"}, &call2, "y" + std::to_string(i), 1.0);
  queue.Push({"f"}, &call3, "z0", 1.0);
  EXPECT_THAT(Serve(queue, 6), ElementsAre("x0", "y0", "z0", "x1", "y1", "x2"));
}

TEST(FlowQueueTest, ARetryGoesFirstInItsFlow) {
  FlowQueue<std::string> queue;
  int call1 = 0;
  int call2 = 0;
  queue.Push({"f"}, &call1, "x0", 1.0);
  queue.Push({"f"}, &call2, "y0", 1.0);
  queue.Push({"f"}, &call2, "y-retry", 1.0, /*front=*/true);
  EXPECT_THAT(Serve(queue, 3), ElementsAre("y-retry", "x0", "y0"));
}

TEST(FlowQueueTest, TakeShowsItemsInServiceOrderAndSkipsWhatIsNotPicked) {
  FlowQueue<std::string> queue;
  for (int i = 0; i < 3; ++i) queue.Push({"a"}, &kCallA, "a" + std::to_string(i), 1.0);
  for (int i = 0; i < 3; ++i) queue.Push({"b"}, &kCallB, "b" + std::to_string(i), 1.0);
  std::vector<std::string> shown;
  std::vector<std::string> flows;
  const std::vector<std::string> taken =
      queue.Take([&](const std::string& item, const std::string& flow) {
        shown.push_back(item);
        flows.push_back(flow);
        return item == "b0" ? Pick::kSkip : Pick::kTake;
      });
  EXPECT_THAT(shown, ElementsAre("a0", "b0", "a1", "b1", "a2", "b2"));
  EXPECT_THAT(flows, ElementsAre("a", "b", "a", "b", "a", "b"));
  EXPECT_THAT(taken, ElementsAre("a0", "a1", "b1", "a2", "b2"));
  const std::string* flow = nullptr;
  ASSERT_NE(queue.Front(&flow), nullptr);
  EXPECT_EQ(*queue.Front(), "b0");
  EXPECT_EQ(*flow, "b");
}

TEST(FlowQueueTest, RemoveIfAndDropFrontDoNotCharge) {
  FlowQueue<std::string> queue;
  queue.Push({"a"}, &kCallA, "a0", 1.0);
  queue.Push({"a"}, &kCallA, "a1", 1.0);
  queue.Push({"b"}, &kCallC, "b0", 1.0);
  EXPECT_EQ(queue.DropFront(), "a0");
  EXPECT_THAT(queue.RemoveIf([](const std::string& item) { return item == "b0"; }),
              ElementsAre("b0"));
  EXPECT_EQ(queue.backlogged_flows(), 1u);
  EXPECT_THAT(Serve(queue, 5), ElementsAre("a1"));
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.Front(), nullptr);
}

}  // namespace
}  // namespace hubspot_gateway
