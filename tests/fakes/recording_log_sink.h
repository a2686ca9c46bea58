// RecordingLogSink: a Logger's write function (server/common/log.h) that
// keeps every line it is given, for tests to read back. Thread-safe: the
// logger's thread (or LogNow's caller) writes while the test reads.
//
//   RecordingLogSink sink;
//   const Logger logger(LogFormat::kJson, 10, absl::Now, sink.Fn());
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_RECORDING_LOG_SINK_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_RECORDING_LOG_SINK_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace hubspot_gateway {

class RecordingLogSink {
 public:
  // Writes into this sink, which must outlive the function.
  std::function<void(absl::string_view line)> Fn() {
    return [this](absl::string_view line) {
      absl::MutexLock lock(&mu_);
      lines_.emplace_back(line);
    };
  }

  // Every line written so far, in order.
  std::vector<std::string> lines() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_RECORDING_LOG_SINK_H_
