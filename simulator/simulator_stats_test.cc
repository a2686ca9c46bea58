#include "simulator/simulator_stats.h"

#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace hubspot_simulator {
namespace {

using json = nlohmann::json;
using Counter = SimulatorStats::Counter;

TEST(SimulatorStatsTest, StartsAtZeroWithEveryField) {
  SimulatorStats stats;
  EXPECT_EQ(stats.ToJson(), json::parse(R"({"requests":0,
      "archive_requests":0,"archive_inputs":0,"archived_pairs":0,
      "rate_limited":0,"dropped":0,"hung":0,"malformed":0,
      "authorization_headers_seen":0,"label_archive_requests":0,"archived_labels":0,"labels_reads":0,
      "max_inputs_seen":0,
      "first_archive_request_unix_us":0,"last_archive_request_unix_us":0,
      "max_archive_requests_in_flight":0,"responses_by_status":{}})"));
}

TEST(SimulatorStatsTest, KeepsTheMostArchiveRequestsInFlight) {
  SimulatorStats stats;
  stats.ArchiveStarted();
  stats.ArchiveStarted();
  stats.ArchiveStarted();
  stats.ArchiveFinished();
  stats.ArchiveStarted();
  EXPECT_EQ(stats.ToJson()["max_archive_requests_in_flight"], 3);
  // A reset starts the peak over from the requests still under way.
  stats.Reset();
  EXPECT_EQ(stats.ToJson()["max_archive_requests_in_flight"], 3);
  stats.ArchiveFinished();
  stats.ArchiveFinished();
  stats.Reset();
  EXPECT_EQ(stats.ToJson()["max_archive_requests_in_flight"], 1);
}

TEST(SimulatorStatsTest, CountsByName) {
  SimulatorStats stats;
  stats.Add(Counter::kRequests);
  stats.Add(Counter::kRequests);
  stats.Add(Counter::kArchiveInputs, 40);
  stats.Add(Counter::kAuthorizationHeadersSeen);
  stats.CountResponse(204);
  stats.CountResponse(429);
  stats.CountResponse(429);
  stats.ObserveInputs(40);
  stats.ObserveInputs(7);
  const json out = stats.ToJson();
  EXPECT_EQ(out["requests"], 2);
  EXPECT_EQ(out["archive_inputs"], 40);
  EXPECT_EQ(out["authorization_headers_seen"], 1);
  EXPECT_EQ(out["max_inputs_seen"], 40);
  EXPECT_EQ(out["responses_by_status"], json::parse(R"({"204":1,"429":2})"));
}

TEST(SimulatorStatsTest, KeepsTheFirstAndLastArchiveRequestTimes) {
  SimulatorStats stats;
  const absl::Time start = absl::FromUnixMicros(1772366400000000);
  stats.ObserveArchiveRequest(start + absl::Seconds(1));
  stats.ObserveArchiveRequest(start + absl::Milliseconds(2500));
  // Threads may record out of order: an earlier time is neither first nor last.
  stats.ObserveArchiveRequest(start + absl::Seconds(2));
  const json out = stats.ToJson();
  EXPECT_EQ(out["first_archive_request_unix_us"], 1772366401000000);
  EXPECT_EQ(out["last_archive_request_unix_us"], 1772366402500000);
}

TEST(SimulatorStatsTest, ConcurrentUpdatesAreNotLost) {
  SimulatorStats stats;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&stats, t] {
      for (int i = 0; i < 1000; ++i) {
        stats.Add(Counter::kArchivedPairs, 2);
        stats.CountResponse(200);
        stats.ObserveInputs(t * 1000 + i);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const json out = stats.ToJson();
  EXPECT_EQ(out["archived_pairs"], 16000);
  EXPECT_EQ(out["responses_by_status"]["200"], 8000);
  EXPECT_EQ(out["max_inputs_seen"], 7999);
}

TEST(SimulatorStatsTest, ResetZeroesEverything) {
  SimulatorStats stats;
  stats.Add(Counter::kDropped);
  stats.CountResponse(503);
  stats.ObserveInputs(3);
  stats.ObserveArchiveRequest(absl::Now());
  stats.Reset();
  EXPECT_EQ(stats.ToJson(), SimulatorStats().ToJson());
}

}  // namespace
}  // namespace hubspot_simulator
