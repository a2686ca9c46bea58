#include "tests/testing/stack.h"

#include <httplib.h>
#include <signal.h>

#include "absl/strings/str_cat.h"

namespace hubspot_gateway::testing {
namespace {

constexpr char kSimulatorBinary[] = "simulator/hubspot_simulator";
constexpr char kGatewayBinary[] = "server/gateway";
const absl::Duration kStartTimeout = absl::Seconds(30);

}  // namespace

absl::StatusOr<std::unique_ptr<Stack>> Stack::Start(StackOptions options) {
  // A server that hangs up mid-request must fail that request, not kill the test.
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<Stack> stack(new Stack());
  stack->simulator_flags_ = options.simulator_flags;
  if (auto s = stack->StartSimulator("127.0.0.1:0"); !s.ok()) return s;
  if (options.start_gateway) {
    if (auto s = stack->StartGateway(options.gateway_flags, options.gateway_token); !s.ok()) {
      return s;
    }
  }
  return stack;
}

absl::Status Stack::StartSimulator(const std::string& listen) {
  const std::string port_file = TempPath("simulator-port");
  const std::string output = TempPath("simulator-output");
  std::vector<std::string> argv = {kSimulatorBinary, absl::StrCat("--listen=", listen),
                                   absl::StrCat("--port_file=", port_file),
                                   absl::StrCat("--tokens=", kSimulatorToken)};
  argv.insert(argv.end(), simulator_flags_.begin(), simulator_flags_.end());
  simulator_.reset();
  auto simulator = Subprocess::Start(argv, {}, output);
  if (!simulator.ok()) return simulator.status();
  simulator_.emplace(*std::move(simulator));
  output_paths_.push_back(output);
  auto port = simulator_->WaitForPortFile(port_file, kStartTimeout);
  if (!port.ok()) return port.status();
  simulator_port_ = *port;
  return absl::OkStatus();
}

void Stack::KillSimulator() {
  simulator_->Signal(SIGKILL);
  (void)simulator_->WaitForExit(kStartTimeout);
}

absl::Status Stack::RestartSimulator() {
  return StartSimulator(absl::StrCat("127.0.0.1:", simulator_port_));
}

absl::StatusOr<Stack::Gateway> Stack::RunGateway(const std::vector<std::string>& flags,
                                                 const std::string& token) {
  const std::string port_file = TempPath("gateway-port");
  const std::string output = TempPath("gateway-output");
  std::vector<std::string> argv = {
      kGatewayBinary, "--listen=127.0.0.1:0", absl::StrCat("--port_file=", port_file),
      absl::StrCat("--hubspot_base_url=http://127.0.0.1:", simulator_port_),
      // No NOT_SERVING phase before a drain unless a test asks for one (a
      // later --drain_delay wins).
      "--drain_delay=0s"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  std::vector<std::string> env;
  if (!token.empty()) env.push_back(absl::StrCat("HUBSPOT_ACCESS_TOKEN=", token));
  auto process = Subprocess::Start(argv, env, output);
  if (!process.ok()) return process.status();
  output_paths_.push_back(output);
  Gateway gateway{*std::move(process)};
  auto port = gateway.process.WaitForPortFile(port_file, kStartTimeout);
  if (!port.ok()) return port.status();
  gateway.port = *port;
  gateway.stub = hubspot::crm::associations::v1::AssociationsArchive::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", gateway.port), grpc::InsecureChannelCredentials()));
  return gateway;
}

absl::Status Stack::StartGateway(const std::vector<std::string>& flags, const std::string& token) {
  gateway_.reset();
  absl::StatusOr<Gateway> gateway = RunGateway(flags, token);
  if (!gateway.ok()) return gateway.status();
  gateway_.emplace(std::move(gateway->process));
  gateway_port_ = gateway->port;
  stub_ = std::move(gateway->stub);
  return absl::OkStatus();
}

absl::StatusOr<size_t> Stack::StartReplica(const std::vector<std::string>& flags,
                                           const std::string& token) {
  absl::StatusOr<Gateway> gateway = RunGateway(flags, token);
  if (!gateway.ok()) return gateway.status();
  replicas_.push_back(*std::move(gateway));
  return replicas_.size() - 1;
}

absl::StatusOr<nlohmann::json> Stack::AdminGet(const std::string& path) {
  httplib::Client client("127.0.0.1", simulator_port_);
  httplib::Result result = client.Get(path.c_str());
  if (!result || result->status != 200) {
    return absl::UnavailableError(absl::StrCat("GET ", path, " failed"));
  }
  return nlohmann::json::parse(result->body, nullptr, false);
}

absl::Status Stack::AdminPost(const std::string& path, const nlohmann::json& body) {
  httplib::Client client("127.0.0.1", simulator_port_);
  httplib::Result result = client.Post(path.c_str(), body.dump(), "application/json");
  if (!result || result->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("POST ", path, " failed: ", result ? result->body : "no answer"));
  }
  return absl::OkStatus();
}

absl::Status Stack::Seed(const std::string& from_type, const std::string& to_type,
                         const std::vector<std::pair<std::string, std::string>>& pairs) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [from, to] : pairs) list.push_back({{"from", from}, {"to", to}});
  return AdminPost("/_admin/associations",
                   {{"from_type", from_type}, {"to_type", to_type}, {"pairs", list}});
}

absl::StatusOr<std::vector<std::string>> Stack::Associations(const std::string& from_type,
                                                             const std::string& to_type) {
  auto answer =
      AdminGet(absl::StrCat("/_admin/associations?from_type=", from_type, "&to_type=", to_type));
  if (!answer.ok()) return answer.status();
  std::vector<std::string> pairs;
  for (const auto& pair : (*answer)["associations"]) {
    pairs.push_back(
        absl::StrCat(pair["from"].get<std::string>(), ">", pair["to"].get<std::string>()));
  }
  return pairs;
}

std::string Stack::AllOutput() const {
  std::string all;
  for (const std::string& path : output_paths_) absl::StrAppend(&all, ReadFile(path));
  return all;
}

}  // namespace hubspot_gateway::testing
