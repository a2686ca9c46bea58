#include "server/api/stream_share.h"

#include <atomic>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(CallerOfPeerTest, DropsThePortOnly) {
  EXPECT_EQ(CallerOfPeer("ipv4:10.0.0.7:5123"), "ipv4:10.0.0.7");
  EXPECT_EQ(CallerOfPeer("ipv6:[::1]:80"), "ipv6:[::1]");
  EXPECT_EQ(CallerOfPeer("ipv6:%5B::1%5D:80"), "ipv6:%5B::1%5D");
  EXPECT_EQ(CallerOfPeer("unix:/run/gateway.sock"), "unix:/run/gateway.sock");
  EXPECT_EQ(CallerOfPeer("ipv4:10.0.0.7"), "ipv4:10.0.0.7");
  EXPECT_EQ(CallerOfPeer(""), "");
}

TEST(StreamShareTest, RefusesPastTheShareUntilASlotIsGivenBack) {
  StreamShare share(2);
  std::optional<absl::StatusOr<StreamShare::Slot>> first(share.Acquire("ipv4:10.0.0.7"));
  absl::StatusOr<StreamShare::Slot> second = share.Acquire("ipv4:10.0.0.7");
  ASSERT_TRUE(first->ok());
  ASSERT_TRUE(second.ok());
  absl::StatusOr<StreamShare::Slot> third = share.Acquire("ipv4:10.0.0.7");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  // Another caller has a share of its own.
  EXPECT_TRUE(share.Acquire("ipv4:10.0.0.8").ok());
  EXPECT_EQ(share.open_streams("ipv4:10.0.0.7"), 2);
  first.reset();
  EXPECT_EQ(share.open_streams("ipv4:10.0.0.7"), 1);
  EXPECT_TRUE(share.Acquire("ipv4:10.0.0.7").ok());
}

TEST(StreamShareTest, MovedSlotsReleaseOnce) {
  StreamShare share(1);
  {
    absl::StatusOr<StreamShare::Slot> slot = share.Acquire("caller");
    ASSERT_TRUE(slot.ok());
    StreamShare::Slot moved(*std::move(slot));
    EXPECT_EQ(share.open_streams("caller"), 1);
  }
  EXPECT_EQ(share.open_streams("caller"), 0);
}

TEST(StreamShareTest, ConcurrentCallersNeverExceedTheShare) {
  constexpr int kShare = 5;
  StreamShare share(kShare);
  std::vector<std::thread> threads;
  std::atomic<int> held_at_once{0};
  std::atomic<int> most_held{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        absl::StatusOr<StreamShare::Slot> slot = share.Acquire("caller");
        if (!slot.ok()) continue;
        const int now = held_at_once.fetch_add(1) + 1;
        int seen = most_held.load();
        while (now > seen && !most_held.compare_exchange_weak(seen, now)) {
        }
        held_at_once.fetch_sub(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(most_held.load(), kShare);
  EXPECT_GE(most_held.load(), 1);
  EXPECT_EQ(share.open_streams("caller"), 0);
}

}  // namespace
}  // namespace hubspot_gateway
