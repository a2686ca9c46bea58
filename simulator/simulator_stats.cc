#include "simulator/simulator_stats.h"

#include <iterator>
#include <string>
#include <utility>

namespace hubspot_simulator {
namespace {

// Indexed by SimulatorStats::Counter.
constexpr const char* kCounterNames[] = {
    "requests",
    "archive_requests",
    "archive_inputs",
    "archived_pairs",
    "rate_limited",
    "dropped",
    "hung",
    "malformed",
    "authorization_headers_seen",
    "label_archive_requests",
    "archived_labels",
    "labels_reads",
};

}  // namespace

void SimulatorStats::Add(Counter counter, int64_t amount) {
  counters_[static_cast<int>(counter)].fetch_add(amount, std::memory_order_relaxed);
}

void SimulatorStats::CountResponse(int status) {
  if (status < 0 || status >= kStatusLimit) return;
  responses_by_status_[status].fetch_add(1, std::memory_order_relaxed);
}

void SimulatorStats::ObserveInputs(int64_t inputs) {
  int64_t seen = max_inputs_seen_.load(std::memory_order_relaxed);
  while (inputs > seen &&
         !max_inputs_seen_.compare_exchange_weak(seen, inputs, std::memory_order_relaxed)) {
  }
}

void SimulatorStats::ObserveArchiveRequest(absl::Time at) {
  const int64_t us = absl::ToUnixMicros(at);
  int64_t first = 0;
  first_archive_request_us_.compare_exchange_strong(first, us, std::memory_order_relaxed);
  int64_t last = last_archive_request_us_.load(std::memory_order_relaxed);
  while (us > last &&
         !last_archive_request_us_.compare_exchange_weak(last, us, std::memory_order_relaxed)) {
  }
}

void SimulatorStats::ArchiveStarted() {
  const int64_t now = archive_in_flight_.fetch_add(1, std::memory_order_relaxed) + 1;
  int64_t most = max_archive_in_flight_.load(std::memory_order_relaxed);
  while (now > most &&
         !max_archive_in_flight_.compare_exchange_weak(most, now, std::memory_order_relaxed)) {
  }
}

void SimulatorStats::ArchiveFinished() {
  archive_in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

nlohmann::json SimulatorStats::ToJson() const {
  static_assert(std::size(kCounterNames) == kCounterCount &&
                    static_cast<int>(Counter::kLabelsReads) + 1 == kCounterCount,
                "kCounterNames must name every Counter, in order");
  nlohmann::json out = nlohmann::json::object();
  for (int i = 0; i < kCounterCount; ++i) {
    out[kCounterNames[i]] = counters_[i].load(std::memory_order_relaxed);
  }
  out["max_inputs_seen"] = max_inputs_seen_.load(std::memory_order_relaxed);
  out["first_archive_request_unix_us"] = first_archive_request_us_.load(std::memory_order_relaxed);
  out["last_archive_request_unix_us"] = last_archive_request_us_.load(std::memory_order_relaxed);
  out["max_archive_requests_in_flight"] = max_archive_in_flight_.load(std::memory_order_relaxed);
  nlohmann::json by_status = nlohmann::json::object();
  for (int status = 0; status < kStatusLimit; ++status) {
    const int64_t count = responses_by_status_[status].load(std::memory_order_relaxed);
    if (count > 0) by_status[std::to_string(status)] = count;
  }
  out["responses_by_status"] = std::move(by_status);
  return out;
}

void SimulatorStats::Reset() {
  for (auto& counter : counters_) counter.store(0, std::memory_order_relaxed);
  for (auto& count : responses_by_status_) {
    count.store(0, std::memory_order_relaxed);
  }
  max_inputs_seen_.store(0, std::memory_order_relaxed);
  first_archive_request_us_.store(0, std::memory_order_relaxed);
  last_archive_request_us_.store(0, std::memory_order_relaxed);
  // Requests under way stay counted; only the peak starts over.
  max_archive_in_flight_.store(archive_in_flight_.load(std::memory_order_relaxed),
                               std::memory_order_relaxed);
}

}  // namespace hubspot_simulator
