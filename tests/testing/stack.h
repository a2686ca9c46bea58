// Stack starts the real HubSpot simulator and the real gateway as processes on
// free loopback ports, and gives tests a gRPC stub and the simulator's admin
// API. For integration tests and benchmarks. Not thread-safe (one driver),
// though the stub may be used from many threads.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_STACK_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_STACK_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hubspot/crm/associations/v1/associations_archive.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/testing/subprocess.h"

namespace hubspot_gateway::testing {

// The token the simulator accepts and the gateway is given. Tests assert it
// never appears in any output.
inline constexpr char kSimulatorToken[] = "pat-na1-SECRET-TOKEN-0123456789abcdef";

struct StackOptions {
  std::vector<std::string> simulator_flags;
  std::vector<std::string> gateway_flags;
  // The gateway's HUBSPOT_ACCESS_TOKEN; empty for none.
  std::string gateway_token = kSimulatorToken;
  // Whether to start the gateway at all (a test may start it itself).
  bool start_gateway = true;
};

class Stack {
 public:
  static absl::StatusOr<std::unique_ptr<Stack>> Start(StackOptions options);

  hubspot::crm::associations::v1::AssociationsArchive::Stub& stub() { return *stub_; }
  int gateway_port() const { return gateway_port_; }
  int simulator_port() const { return simulator_port_; }
  Subprocess& gateway() { return *gateway_; }

  // Kills the simulator (SIGKILL: connections drop mid-request).
  void KillSimulator();
  // Starts the simulator again on the same port with the same flags (its
  // store starts empty).
  absl::Status RestartSimulator();

  // Starts (or restarts) the gateway with `flags` on a fresh port.
  absl::Status StartGateway(const std::vector<std::string>& flags, const std::string& token);

  // Starts one more gateway (a replica behind the same simulator) with
  // `flags`; its index for replica() and replica_stub().
  absl::StatusOr<size_t> StartReplica(const std::vector<std::string>& flags,
                                      const std::string& token = kSimulatorToken);
  Subprocess& replica(size_t index) { return replicas_[index].process; }
  hubspot::crm::associations::v1::AssociationsArchive::Stub& replica_stub(size_t index) {
    return *replicas_[index].stub;
  }

  // The simulator's admin API.
  absl::StatusOr<nlohmann::json> AdminGet(const std::string& path);
  absl::Status AdminPost(const std::string& path, const nlohmann::json& body);
  absl::Status Seed(const std::string& from_type, const std::string& to_type,
                    const std::vector<std::pair<std::string, std::string>>& pairs);
  // "from>to" for every association the simulator holds between the types.
  absl::StatusOr<std::vector<std::string>> Associations(const std::string& from_type,
                                                        const std::string& to_type);

  // Everything both processes printed.
  std::string AllOutput() const;

 private:
  // A running gateway process.
  struct Gateway {
    Subprocess process;
    int port = 0;
    std::unique_ptr<hubspot::crm::associations::v1::AssociationsArchive::Stub> stub;
  };

  Stack() = default;
  absl::Status StartSimulator(const std::string& listen);
  absl::StatusOr<Gateway> RunGateway(const std::vector<std::string>& flags,
                                     const std::string& token);

  std::vector<std::string> simulator_flags_;
  std::optional<Subprocess> simulator_;
  std::optional<Subprocess> gateway_;
  std::unique_ptr<hubspot::crm::associations::v1::AssociationsArchive::Stub> stub_;
  int simulator_port_ = 0;
  int gateway_port_ = 0;
  std::vector<Gateway> replicas_;
  std::vector<std::string> output_paths_;
};

}  // namespace hubspot_gateway::testing

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_STACK_H_
