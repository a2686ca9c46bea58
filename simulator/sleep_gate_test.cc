#include "simulator/sleep_gate.h"

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace hubspot_simulator {
namespace {

TEST(SleepGateTest, SleepsTheFullTimeWhenNotReleased) {
  SleepGate gate;
  const absl::Time start = absl::Now();
  EXPECT_TRUE(gate.SleepFor(absl::Milliseconds(30)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));
}

TEST(SleepGateTest, ZeroDurationReturnsAtOnce) {
  SleepGate gate;
  EXPECT_TRUE(gate.SleepFor(absl::ZeroDuration()));
}

TEST(SleepGateTest, ReleaseAllWakesSleepersButNotLaterOnes) {
  SleepGate gate;
  absl::Notification woke;
  bool full_sleep = true;
  std::thread sleeper([&] {
    full_sleep = gate.SleepFor(absl::Minutes(10));
    woke.Notify();
  });
  // Keep releasing until the sleeper, which may not have started yet, wakes.
  while (!woke.WaitForNotificationWithTimeout(absl::Milliseconds(5))) {
    gate.ReleaseAll();
  }
  sleeper.join();
  EXPECT_FALSE(full_sleep);
  EXPECT_TRUE(gate.SleepFor(absl::Milliseconds(1)));
}

TEST(SleepGateTest, CloseWakesSleepersAndEndsLaterSleeps) {
  SleepGate gate;
  std::thread sleeper([&] { EXPECT_FALSE(gate.SleepFor(absl::Minutes(10))); });
  absl::SleepFor(absl::Milliseconds(10));
  gate.Close();
  sleeper.join();
  const absl::Time start = absl::Now();
  EXPECT_FALSE(gate.SleepFor(absl::Minutes(10)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

}  // namespace
}  // namespace hubspot_simulator
