// RedisServer runs a real redis-server (Debian's, installed by
// tools/install_deps) on a free loopback port for the tests of the shared
// budget: start, kill, restart on the same port, and synchronous commands
// (hiredis) to look at what it holds. Not thread-safe: one test thread drives it.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_REDIS_SERVER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_REDIS_SERVER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/testing/subprocess.h"

namespace hubspot_gateway::testing {

class RedisServer {
 public:
  // Starts redis-server without persistence; with `password`, clients must AUTH.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(const std::string& password = "");

  int port() const { return port_; }
  // redis://127.0.0.1:PORT (no password).
  std::string url() const;

  // SIGKILL: connections drop at once.
  void Kill();
  // Starts it again on the same port, empty.
  absl::Status Restart();

  // Runs one command on a fresh connection; the reply as text (an array's
  // elements one per line, an integer in decimal).
  absl::StatusOr<std::string> Command(const std::vector<std::string>& args);

  std::string Output() const;

 private:
  RedisServer() = default;
  absl::Status Run();

  std::string password_;
  std::string config_path_;
  std::string output_path_;
  int port_ = 0;
  std::optional<Subprocess> process_;
};

}  // namespace hubspot_gateway::testing

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_REDIS_SERVER_H_
