// The gateway as deploy/k8s runs it: the Kubernetes flagfile (the ConfigMap's
// gateway.flags) with only what a pod gets from its cluster overridden
// (addresses, the mounted Secret files), against a real simulator and a real
// redis-server with a password; and flags from the environment (--fromenv,
// --tryfromenv), as the container image allows.
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/archive_calls.h"
#include "tests/testing/health_probe.h"
#include "tests/testing/redis_server.h"
#include "tests/testing/requests.h"
#include "tests/testing/stack.h"
#include "tests/testing/subprocess.h"

namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::hubspot_gateway::testing::Archive;
using ::hubspot_gateway::testing::ArchiveOutcome;
using ::hubspot_gateway::testing::kSimulatorToken;
using ::hubspot_gateway::testing::Probe;
using ::hubspot_gateway::testing::ProbeHealth;
using ::hubspot_gateway::testing::RedisServer;
using ::hubspot_gateway::testing::SequentialRequest;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::StartStack;
using ::hubspot_gateway::testing::Subprocess;
using ::hubspot_gateway::testing::TempPath;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kGatewayBinary[] = "server/gateway";
constexpr char kFlagfile[] = "deploy/k8s/gateway.flags";
constexpr char kService[] = "hubspot.crm.associations.v1.AssociationsArchive";
constexpr char kRedisPassword[] = "redis-PASSWORD-for-deploy-7";
const absl::Duration kWait = absl::Seconds(30);

std::string WriteSecretFile(const std::string& stem, const std::string& contents) {
  const std::string path = TempPath(stem);
  std::ofstream(path) << contents << "\n";
  return path;
}

// A gateway started with `flags` and exactly `env`, once it has written
// `port_file` (which `flags` or `env` must name).
struct Gateway {
  std::unique_ptr<Subprocess> process;
  int port = 0;
  std::unique_ptr<v1::AssociationsArchive::Stub> stub;
};

Gateway StartGateway(const std::vector<std::string>& flags, const std::vector<std::string>& env,
                     const std::string& port_file) {
  std::vector<std::string> argv = {kGatewayBinary};
  argv.insert(argv.end(), flags.begin(), flags.end());
  absl::StatusOr<Subprocess> process = Subprocess::Start(argv, env, TempPath("gateway-output"));
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return {};
  Gateway gateway;
  gateway.process = std::make_unique<Subprocess>(*std::move(process));
  absl::StatusOr<int> port = gateway.process->WaitForPortFile(port_file, kWait);
  EXPECT_TRUE(port.ok()) << port.status() << "\n" << gateway.process->Output();
  if (!port.ok()) return {};
  gateway.port = *port;
  gateway.stub = v1::AssociationsArchive::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", gateway.port), grpc::InsecureChannelCredentials()));
  return gateway;
}

// Archives 101->201 (seeded first) through `gateway` and checks the simulator
// lost it.
void ExpectArchives(Stack& stack, Gateway& gateway) {
  ASSERT_TRUE(stack.Seed("contacts", "companies", {{"101", "201"}}).ok());
  const ArchiveOutcome call = Archive(*gateway.stub, SequentialRequest(101, 1, 100));
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(call.result.status(), v1::BatchResult::COMPLETE);
  EXPECT_THAT(stack.Associations("contacts", "companies").value_or(std::vector<std::string>{"?"}),
              IsEmpty());
}

std::unique_ptr<Stack> StartSimulator() {
  StackOptions options;
  options.start_gateway = false;
  return StartStack(options);
}

TEST(DeployIntegrationTest, TheKubernetesFlagfileRunsAGatewaySharingItsBudgetInRedis) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start(kRedisPassword);
  ASSERT_TRUE(redis.ok()) << redis.status();
  auto stack = StartSimulator();
  ASSERT_NE(stack, nullptr);
  const std::string port_file = TempPath("gateway-port");
  // The flagfile first; after it, only what differs outside a cluster: the
  // addresses, and the files the pod's Secret volumes would hold. Everything
  // else (JSON logs, the budget store's replicas, the drain timing, the auth
  // mode) is the flagfile's.
  Gateway gateway = StartGateway(
      {absl::StrCat("--flagfile=", kFlagfile), "--listen=127.0.0.1:0",
       absl::StrCat("--port_file=", port_file), "--metrics_listen=127.0.0.1:0",
       absl::StrCat("--hubspot_base_url=http://127.0.0.1:", stack->simulator_port()),
       absl::StrCat("--hubspot_token_file=", WriteSecretFile("token", kSimulatorToken)),
       absl::StrCat("--budget_store=", (*redis)->url()),
       absl::StrCat("--budget_store_password_file=",
                    WriteSecretFile("redis-password", kRedisPassword))},
      {}, port_file);
  ASSERT_NE(gateway.process, nullptr);

  // The readiness probe's question, and the liveness probe's.
  EXPECT_EQ(ProbeHealth(gateway.port, kService), Probe::kServing);
  EXPECT_EQ(ProbeHealth(gateway.port, ""), Probe::kServing);
  ExpectArchives(*stack, gateway);
  // The budget lives in the password-protected Redis.
  absl::StatusOr<std::string> keys = (*redis)->Command({"KEYS", "hubspot-gateway:budget:*"});
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT(*keys, HasSubstr("hubspot-gateway:budget:"));

  // The flagfile's --drain_delay (5s): NOT_SERVING while the port is open,
  // then a clean exit well within the pod's terminationGracePeriodSeconds.
  gateway.process->Signal(SIGTERM);
  EXPECT_EQ(ProbeHealth(gateway.port, kService), Probe::kNotServing);
  EXPECT_EQ(gateway.process->WaitForExit(kWait).value_or(-1), 0);

  // --log_format=json: every line is one JSON object.
  const std::string output = gateway.process->Output();
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(nlohmann::json::parse(line, nullptr, false).is_object()) << line;
  }
  EXPECT_THAT(output, HasSubstr("listening on port"));
  for (const std::string& printed : {output, stack->AllOutput(), (*redis)->Output()}) {
    EXPECT_THAT(printed, Not(HasSubstr(kSimulatorToken)));
    EXPECT_THAT(printed, Not(HasSubstr(kRedisPassword)));
  }
}

TEST(DeployIntegrationTest, FromenvTakesFlagsFromFlagsVariables) {
  auto stack = StartSimulator();
  ASSERT_NE(stack, nullptr);
  const std::string port_file = TempPath("gateway-port");
  Gateway gateway = StartGateway(
      {"--fromenv=listen,port_file,hubspot_base_url"},
      {"FLAGS_listen=127.0.0.1:0", absl::StrCat("FLAGS_port_file=", port_file),
       absl::StrCat("FLAGS_hubspot_base_url=http://127.0.0.1:", stack->simulator_port()),
       absl::StrCat("HUBSPOT_ACCESS_TOKEN=", kSimulatorToken)},
      port_file);
  ASSERT_NE(gateway.process, nullptr);
  // It listens where FLAGS_listen said and reaches the upstream FLAGS_hubspot_base_url named.
  ExpectArchives(*stack, gateway);
}

TEST(DeployIntegrationTest, TryfromenvSkipsUnsetVariablesWhereFromenvRefusesToStart) {
  const std::string port_file = TempPath("gateway-port");
  Gateway gateway =
      StartGateway({"--tryfromenv=listen,port_file,drain_delay"},
                   {"FLAGS_listen=127.0.0.1:0", absl::StrCat("FLAGS_port_file=", port_file),
                    absl::StrCat("HUBSPOT_ACCESS_TOKEN=", kSimulatorToken)},
                   port_file);
  ASSERT_NE(gateway.process, nullptr);
  EXPECT_EQ(ProbeHealth(gateway.port, kService), Probe::kServing);

  absl::StatusOr<Subprocess> refused = Subprocess::Start(
      {kGatewayBinary, "--fromenv=listen,drain_delay"},
      {"FLAGS_listen=127.0.0.1:0", absl::StrCat("HUBSPOT_ACCESS_TOKEN=", kSimulatorToken)},
      TempPath("refused-output"));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->WaitForExit(kWait).value_or(-1), 1);
  EXPECT_THAT(refused->Output(), HasSubstr("FLAGS_drain_delay not found in environment"));
}

}  // namespace
