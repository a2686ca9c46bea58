// SimulatorStats counts what the simulator received and answered since start or
// the last Reset(), for GET /_admin/stats. Thread-safe and lock-free: every
// counter is a relaxed atomic.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_SIMULATOR_STATS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_SIMULATOR_STATS_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace hubspot_simulator {

class SimulatorStats {
 public:
  // Each counter's JSON name is the snake_case of its enumerator.
  enum class Counter {
    kRequests,                  // Every HubSpot-route request.
    kArchiveRequests,           // Every batch/archive request.
    kArchiveInputs,             // Entries of the "inputs" arrays received.
    kArchivedPairs,             // Associations actually removed.
    kRateLimited,               // 429 answers, real or injected.
    kDropped,                   // Connections aborted mid-response.
    kHung,                      // Requests held by a hang fault.
    kMalformed,                 // Truncated JSON answers.
    kAuthorizationHeadersSeen,  // Requests carrying an Authorization header.
    kLabelArchiveRequests,      // Every batch/labels/archive request.
    kArchivedLabels,            // Labels actually removed (the association stayed).
    kLabelsReads,               // Every association-labels read (GET .../labels).
  };

  SimulatorStats() = default;
  SimulatorStats(const SimulatorStats&) = delete;
  SimulatorStats& operator=(const SimulatorStats&) = delete;

  void Add(Counter counter, int64_t amount = 1);
  // Counts one answer with HTTP `status` (100..599).
  void CountResponse(int status);
  // Raises max_inputs_seen to `inputs` if it is larger.
  void ObserveInputs(int64_t inputs);
  // An archive request arrived at `at`: kept as the first one's time (if it
  // is the first) and the last one's (if it is the latest).
  void ObserveArchiveRequest(absl::Time at);
  // An archive request is being handled (its latency included) from
  // ArchiveStarted until ArchiveFinished; max_archive_requests_in_flight
  // reports the most at once, so a test can tell how many a client kept in flight.
  void ArchiveStarted();
  void ArchiveFinished();

  // {"requests":N,...,"max_inputs_seen":N,"first_archive_request_unix_us":N,
  // "last_archive_request_unix_us":N (0: none yet),"max_archive_requests_in_flight":N,
  // "responses_by_status":{"204":N}}
  nlohmann::json ToJson() const;
  void Reset();

 private:
  static constexpr int kCounterCount = 12;
  static constexpr int kStatusLimit = 600;

  std::array<std::atomic<int64_t>, kCounterCount> counters_{};
  std::array<std::atomic<int64_t>, kStatusLimit> responses_by_status_{};
  std::atomic<int64_t> max_inputs_seen_{0};
  // Unix microseconds; 0 until an archive request arrives.
  std::atomic<int64_t> first_archive_request_us_{0};
  std::atomic<int64_t> last_archive_request_us_{0};
  std::atomic<int64_t> archive_in_flight_{0};
  std::atomic<int64_t> max_archive_in_flight_{0};
};

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_SIMULATOR_STATS_H_
