// Callers in other languages against the real gateway and simulator, each as
// a user installs it: the Python wheel (client/python, on Debian's
// python3-grpcio), the Go command (client/go) and the Node package's tarball
// (client/node, on @grpc/grpc-js), each archiving, removing labels (the pair's
// unlabeled type only with --remove_association_if_unlabeled), reading a failure's
// UpstreamError, and printing the same JSON for the same answer.
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

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

// The command line of `language`'s caller and the environment it needs.
struct CallerCommand {
  std::vector<std::string> argv;
  std::vector<std::string> env;
};

// The Node package's command, installed once from its npm tarball into a new
// project (client/node/install_tarball.sh), as a user would install it.
std::string InstalledNodeCaller() {
  static const std::string* const command = [] {
    const std::string project = TempPath("node-project");
    auto install = Subprocess::Start({"client/node/install_tarball.sh",
                                      "client/node/hubspot-archive-gateway-1.0.0.tgz", project},
                                     {absl::StrCat("PATH=", std::getenv("PATH"))},
                                     TempPath("node-install-output"));
    EXPECT_TRUE(install.ok()) << install.status();
    if (install.ok()) {
      EXPECT_EQ(install->WaitForExit(absl::Seconds(120)).value_or(-1), 0) << install->Output();
    }
    return new std::string(project + "/node_modules/.bin/hubspot-archive-client");
  }();
  return *command;
}

CallerCommand CallerFor(const std::string& language) {
  if (language == "python") {
    // The wheel itself on the path (it is pure Python): what it installs.
    return {{"/usr/bin/python3", "-m", "hubspot_archive_gateway.cli"},
            {"PYTHONPATH=client/python/hubspot_archive_gateway-1.0.0-py3-none-any.whl"}};
  }
  if (language == "go") return {{"client/go/archive-client"}, {}};
  return {{InstalledNodeCaller()}, {}};
}

// Runs `language`'s caller against `stack`'s gateway with `args`.
CallerRun RunCallerOf(const std::string& language, Stack& stack,
                      const std::vector<std::string>& args) {
  CallerCommand command = CallerFor(language);
  command.argv.push_back(absl::StrCat("--target=127.0.0.1:", stack.gateway_port()));
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  return RunCaller(command.argv, command.env);
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
    return RunCallerOf(GetParam(), *stack_, pairs);
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

TEST_P(CallersIntegrationTest, TheUnlabeledTypeGoesOnlyWithTheOptInFlag) {
  ASSERT_TRUE(stack_->Seed("contacts", "companies", {{"11", "21"}, {"12", "22"}}).ok());
  // 279: contacts to companies' unlabeled type; HubSpot would delete the association.
  const CallerRun refused = Archive({"--label=HUBSPOT_DEFINED:279", "11:21"});
  EXPECT_EQ(refused.exit_status, 3) << refused.output.dump();  // INVALID_ARGUMENT
  EXPECT_EQ(refused.output["code"], "INVALID_ARGUMENT");
  EXPECT_THAT(refused.output["message"].get<std::string>(),
              ::testing::HasSubstr("inputs[0] (from 11 to 21) lists HUBSPOT_DEFINED 279"));
  EXPECT_EQ(Stat(*stack_, "label_archive_requests"), 0);

  const CallerRun removed =
      Archive({"--label=HUBSPOT_DEFINED:279", "--remove_association_if_unlabeled", "11:21"});
  EXPECT_EQ(removed.exit_status, 0) << removed.output.dump();
  EXPECT_EQ(*stack_->Associations("contacts", "companies"), std::vector<std::string>{"12>22"});
}

TEST_P(CallersIntegrationTest, ReadsTheUpstreamErrorOfAFailedCall) {
  ASSERT_TRUE(stack_->AdminPost("/_admin/faults", {{"fail_next", 1}, {"error_status", 403}}).ok());
  const CallerRun run = Archive({"11:21"});
  EXPECT_EQ(run.exit_status, 7);  // PERMISSION_DENIED
  EXPECT_EQ(run.output["code"], "PERMISSION_DENIED");
  const nlohmann::json& upstream = run.output["upstreamError"];
  ASSERT_TRUE(upstream.is_object()) << run.output.dump();
  EXPECT_EQ(upstream["httpStatus"], 403);
  EXPECT_FALSE(upstream["correlationId"].get<std::string>().empty());
  EXPECT_EQ(upstream["attempts"], 1);
}

TEST_P(CallersIntegrationTest, TakesTheSameDeadlineFlagInSeconds) {
  ASSERT_TRUE(stack_->AdminPost("/_admin/faults", {{"latency_ms", 3000}}).ok());
  const CallerRun run = Archive({"--deadline=0.5", "11:21"});
  EXPECT_EQ(run.exit_status, 4) << run.output.dump();  // DEADLINE_EXCEEDED
  EXPECT_EQ(run.output["code"], "DEADLINE_EXCEEDED");
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
  CallerCommand command = CallerFor(language);
  command.argv.insert(command.argv.end(),
                      {absl::StrCat("--target=127.0.0.1:", stack.gateway_port()),
                       "--bulk_file=" + path, "--pairs_per_message=10"});
  command.env.push_back(absl::StrCat("PATH=", std::getenv("PATH")));
  return Subprocess::Start(command.argv, command.env, TempPath("bulk-caller-output"));
}

// The callers with a bulk mode (the Go command has none).
using BulkCallersIntegrationTest = CallersIntegrationTest;

TEST_P(BulkCallersIntegrationTest, BulkArchivesEveryPairAndCountsThem) {
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

TEST_P(BulkCallersIntegrationTest, BulkResendsWhatWasNotAcknowledgedWhenTheGatewayRestarts) {
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

INSTANTIATE_TEST_SUITE_P(Languages, CallersIntegrationTest,
                         ::testing::Values("python", "node", "go"),
                         [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Languages, BulkCallersIntegrationTest, ::testing::Values("python", "node"),
                         [](const auto& info) { return info.param; });

// `output` with the values that differ from one call to the next (HubSpot's
// and the gateway's ids, the batch's times) replaced by their kind, once checked to have the
// format the output style promises (RFC 3339 UTC times).
nlohmann::json Normalized(nlohmann::json output) {
  static const std::regex kRfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)");
  if (output.is_object()) {
    for (auto& [key, value] : output.items()) {
      if (key == "correlationId" || key == "requestId") {
        EXPECT_TRUE(value.is_string() && !value.get<std::string>().empty()) << value;
        value = "<id>";
      } else if (key == "message" && value.is_string()) {
        // The gateway's message quotes HubSpot's correlationId and its own request id.
        static const std::regex kIds(
            R"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|gw-[0-9a-f]+-[0-9]+)");
        value = std::regex_replace(value.get<std::string>(), kIds, "<id>");
      } else if (key == "requestedAt" || key == "startedAt" || key == "completedAt") {
        EXPECT_TRUE(value.is_string() && std::regex_match(value.get<std::string>(), kRfc3339))
            << key << " " << value;
        value = "<time>";
      } else {
        value = Normalized(value);
      }
    }
  } else if (output.is_array()) {
    for (auto& value : output) value = Normalized(value);
  }
  return output;
}

// Every caller prints the same JSON (the proto3 mapping) for the same answer:
// a BatchResult with times and an error, and a failure whose
// UpstreamError has a Retry-After duration.
TEST(CallersOutputTest, EveryCallerPrintsTheSameJsonForTheSameAnswer) {
  StackOptions options;
  options.simulator_flags = {"--success_mode=batch_response"};
  options.gateway_flags = {"--max_attempts=1"};
  auto stack = Stack::Start(options);
  ASSERT_TRUE(stack.ok()) << stack.status();
  std::map<std::string, std::vector<nlohmann::json>> outputs;
  for (const std::string language : {"python", "node", "go"}) {
    // 11>21 has the label, 11>22 does not exist: a COMPLETE result with one error.
    ASSERT_TRUE(
        (*stack)
            ->AdminPost("/_admin/associations", nlohmann::json::parse(R"({"from_type":"contacts",
                                  "to_type":"companies","pairs":[{"from":"11","to":"21",
                                  "labels":[{"category":"USER_DEFINED","type_id":36}]}]})"))
            .ok());
    const CallerRun archived =
        RunCallerOf(language, **stack, {"--label=USER_DEFINED:36", "11:21,22"});
    EXPECT_EQ(archived.exit_status, 20) << language << " " << archived.output.dump();
    ASSERT_TRUE(
        (*stack)->AdminPost("/_admin/faults", {{"rate_limit_next", 1}, {"retry_after", "2"}}).ok());
    const CallerRun limited = RunCallerOf(language, **stack, {"11:21"});
    EXPECT_EQ(limited.exit_status, 8) << language << " " << limited.output.dump();
    outputs[language] = {Normalized(archived.output), Normalized(limited.output)};
  }
  nlohmann::json result = outputs["python"][0];
  EXPECT_EQ(result["status"], "COMPLETE") << result.dump();
  EXPECT_EQ(result["numErrors"], 1) << result.dump();
  EXPECT_EQ(result["startedAt"], "<time>") << result.dump();
  nlohmann::json failure = outputs["python"][1];
  EXPECT_EQ(failure["code"], "RESOURCE_EXHAUSTED") << failure.dump();
  EXPECT_EQ(failure["upstreamError"]["retryAfter"], "2s") << failure.dump();
  EXPECT_EQ(failure["upstreamError"]["correlationId"], "<id>") << failure.dump();
  EXPECT_EQ(outputs["node"], outputs["python"]);
  EXPECT_EQ(outputs["go"], outputs["python"]);
}

}  // namespace
}  // namespace hubspot_gateway
