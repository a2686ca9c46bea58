// Callers in other languages against the real gateway and simulator: the
// Python client (Debian's python3-grpcio, stubs from our protos) and the Node
// client (@grpc/grpc-js), each archiving, removing labels, and reading a
// failure's UpstreamError.
#include <signal.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/archive_calls.h"
#include "tests/testing/polling.h"
#include "tests/testing/stack.h"

namespace hubspot_gateway {
namespace {

using ::hubspot_gateway::testing::kSimulatorToken;
using ::hubspot_gateway::testing::LabeledAssociations;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::Stat;
using ::hubspot_gateway::testing::Subprocess;
using ::hubspot_gateway::testing::TempPath;
using ::hubspot_gateway::testing::WaitUntil;

struct CallerRun {
  int exit_status = -1;
  nlohmann::json output;
};

// Waits for a caller to finish and parses the JSON line it printed.
CallerRun WaitForCaller(absl::StatusOr<Subprocess>& process) {
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return {};
  CallerRun run;
  run.exit_status = process->WaitForExit(absl::Seconds(120)).value_or(-1);
  const std::string output = process->Output();
  run.output = nlohmann::json::parse(output, nullptr, false);
  EXPECT_FALSE(run.output.is_discarded()) << output;
  return run;
}

// Runs a caller to completion.
CallerRun RunCaller(std::vector<std::string> argv, std::vector<std::string> env) {
  env.push_back(absl::StrCat("PATH=", std::getenv("PATH")));
  auto process = Subprocess::Start(argv, env, TempPath("caller-output"));
  return WaitForCaller(process);
}

class CallersIntegrationTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    StackOptions options;
    options.gateway_flags = {"--max_attempts=1"};
    auto stack = Stack::Start(options);
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
  }

  CallerRun Archive(const std::vector<std::string>& pairs) {
    const std::string target = absl::StrCat("--target=127.0.0.1:", stack_->gateway_port());
    std::vector<std::string> argv;
    std::vector<std::string> env;
    if (GetParam() == "python") {
      argv = {"/usr/bin/python3", "client/python/archive_client.py", target};
      env = {"PYTHONPATH=client/python/stubs"};
    } else {
      argv = {"/usr/bin/env", "node", "client/node/archive_client.js", target};
    }
    argv.insert(argv.end(), pairs.begin(), pairs.end());
    return RunCaller(argv, env);
  }

  std::unique_ptr<Stack> stack_;
};

TEST_P(CallersIntegrationTest, ArchivesAndTheSimulatorLosesTheAssociations) {
  ASSERT_TRUE(
      stack_->Seed("contacts", "companies", {{"11", "21"}, {"11", "22"}, {"12", "23"}}).ok());
  const CallerRun run = Archive({"11:21,22"});
  EXPECT_EQ(run.exit_status, 0);
  EXPECT_EQ(run.output["status"], "COMPLETE");
  EXPECT_EQ(*stack_->Associations("contacts", "companies"), std::vector<std::string>{"12>23"});
}

TEST_P(CallersIntegrationTest, RemovesOnlyTheListedLabelsAndTheAssociationsStay) {
  ASSERT_TRUE(
      stack_
          ->AdminPost("/_admin/associations", nlohmann::json::parse(R"({"from_type":"contacts",
                                "to_type":"companies","pairs":[
                                {"from":"11","to":"21","labels":[
                                  {"category":"USER_DEFINED","type_id":36},
                                  {"category":"WORK","type_id":7}]},
                                {"from":"11","to":"22","labels":[
                                  {"category":"USER_DEFINED","type_id":36}]}]})"))
          .ok());
  const CallerRun run = Archive({"--label=USER_DEFINED:36", "11:21,22"});
  EXPECT_EQ(run.exit_status, 0) << run.output.dump();
  EXPECT_EQ(run.output["status"], "COMPLETE");
  EXPECT_THAT(LabeledAssociations(*stack_, "contacts", "companies"),
              ::testing::ElementsAre("11>21 WORK:7", "11>22"));
}

TEST_P(CallersIntegrationTest, ReadsTheUpstreamErrorOfAFailedCall) {
  ASSERT_TRUE(stack_->AdminPost("/_admin/faults", {{"fail_next", 1}, {"error_status", 403}}).ok());
  const CallerRun run = Archive({"11:21"});
  EXPECT_EQ(run.exit_status, 7);  // PERMISSION_DENIED
  EXPECT_EQ(run.output["code"], "PERMISSION_DENIED");
  const nlohmann::json& upstream = run.output["upstreamError"];
  ASSERT_TRUE(upstream.is_object()) << run.output.dump();
  // Python's json_format uses lowerCamelCase, protobufjs keeps the proto names.
  const auto field = [&](const char* camel, const char* snake) {
    return upstream.contains(camel) ? upstream[camel] : upstream[snake];
  };
  EXPECT_EQ(field("httpStatus", "http_status"), 403);
  EXPECT_FALSE(field("correlationId", "correlation_id").get<std::string>().empty());
  EXPECT_EQ(upstream["attempts"], 1);
}

// `count` pairs, from ids 100000..., to ids 900000....
std::vector<std::pair<std::string, std::string>> Job(int count) {
  std::vector<std::pair<std::string, std::string>> job;
  for (int i = 0; i < count; ++i) {
    job.push_back({absl::StrCat(100000 + i), absl::StrCat(900000 + i)});
  }
  return job;
}

// Starts the caller's bulk mode on `job` (10 pairs per streamed request).
absl::StatusOr<Subprocess> StartBulkCaller(
    const std::string& language, Stack& stack,
    const std::vector<std::pair<std::string, std::string>>& job) {
  const std::string path = TempPath("bulk") + ".csv";
  std::ofstream out(path);
  for (const auto& [from, to] : job) out << from << "," << to << "\n";
  out.close();
  const std::string target = absl::StrCat("--target=127.0.0.1:", stack.gateway_port());
  const std::vector<std::string> flags = {target, "--bulk_file=" + path, "--pairs_per_message=10"};
  std::vector<std::string> argv;
  std::vector<std::string> env = {absl::StrCat("PATH=", std::getenv("PATH"))};
  if (language == "python") {
    argv = {"/usr/bin/python3", "client/python/archive_client.py"};
    env.push_back("PYTHONPATH=client/python/stubs");
  } else {
    argv = {"/usr/bin/env", "node", "client/node/archive_client.js"};
  }
  argv.insert(argv.end(), flags.begin(), flags.end());
  return Subprocess::Start(argv, env, TempPath("bulk-caller-output"));
}

TEST_P(CallersIntegrationTest, BulkArchivesEveryPairAndCountsThem) {
  const auto job = Job(2000);
  ASSERT_TRUE(stack_->Seed("contacts", "companies", job).ok());
  auto caller = StartBulkCaller(GetParam(), *stack_, job);
  const CallerRun run = WaitForCaller(caller);
  EXPECT_EQ(run.exit_status, 0) << run.output.dump();
  EXPECT_EQ(run.output["code"], "OK");
  EXPECT_EQ(run.output["archived"], 2000);
  EXPECT_EQ(run.output["unconfirmed"], 0);
  EXPECT_TRUE(stack_->Associations("contacts", "companies")->empty());
}

TEST_P(CallersIntegrationTest, BulkResendsWhatWasNotAcknowledgedWhenTheGatewayRestarts) {
  // Slow enough upstream that the restart comes mid-job.
  ASSERT_TRUE(stack_->AdminPost("/_admin/faults", {{"latency_ms", 50}}).ok());
  const auto job = Job(5000);
  ASSERT_TRUE(stack_->Seed("contacts", "companies", job).ok());
  auto caller = StartBulkCaller(GetParam(), *stack_, job);
  ASSERT_TRUE(
      WaitUntil([&] { return Stat(*stack_, "archive_inputs") >= 1000; }, absl::Seconds(60)));
  stack_->gateway().Signal(SIGKILL);
  (void)stack_->gateway().WaitForExit(absl::Seconds(10));
  ASSERT_TRUE(stack_
                  ->StartGateway({"--max_attempts=1",
                                  absl::StrCat("--listen=127.0.0.1:", stack_->gateway_port())},
                                 kSimulatorToken)
                  .ok());
  const CallerRun run = WaitForCaller(caller);
  EXPECT_EQ(run.exit_status, 0) << run.output.dump();
  EXPECT_EQ(run.output["archived"], 5000);
  EXPECT_GE(run.output["reconnects"], 1);
  EXPECT_TRUE(stack_->Associations("contacts", "companies")->empty());
}

INSTANTIATE_TEST_SUITE_P(Languages, CallersIntegrationTest, ::testing::Values("python", "node"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace hubspot_gateway
