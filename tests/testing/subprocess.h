// Subprocess runs a real program for integration tests: output captured to
// files, a port file to wait for, signals, and exit status. Not thread-safe:
// one test thread drives it. The destructor kills a process still running.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_SUBPROCESS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace hubspot_gateway::testing {

class Subprocess {
 public:
  // Starts `argv` with exactly `env` ("NAME=value") as its environment;
  // stdout and stderr go to `output_path`.
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv,
                                          const std::vector<std::string>& env,
                                          const std::string& output_path);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) = delete;
  ~Subprocess();

  // Waits until `port_file` holds a port number, failing early if the
  // process exits.
  absl::StatusOr<int> WaitForPortFile(const std::string& port_file, absl::Duration timeout);

  void Signal(int signal_number) const;

  // The exit status (the signal number + 128 for a killed process).
  absl::StatusOr<int> WaitForExit(absl::Duration timeout);

  bool Running();

  pid_t pid() const { return pid_; }

  // Everything the process printed so far.
  std::string Output() const;

 private:
  Subprocess(pid_t pid, std::string output_path)
      : pid_(pid), output_path_(std::move(output_path)) {}

  pid_t pid_;
  std::string output_path_;
  bool reaped_ = false;
  int exit_status_ = 0;
};

// A fresh path under TEST_TMPDIR (or /tmp) whose name starts with `stem`.
std::string TempPath(const std::string& stem);

// Reads a file entirely ("" when missing).
std::string ReadFile(const std::string& path);

}  // namespace hubspot_gateway::testing

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_SUBPROCESS_H_
