// Callers in other languages against the real gateway and simulator: the
// Python client (Debian's python3-grpcio, stubs from our protos) and the Node
// client (@grpc/grpc-js), each archiving, removing labels, and reading a
// failure's UpstreamError.
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/archive_calls.h"
#include "tests/testing/stack.h"

namespace hubspot_gateway {
namespace {

using ::hubspot_gateway::testing::LabeledAssociations;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::Subprocess;
using ::hubspot_gateway::testing::TempPath;

struct CallerRun {
  int exit_status = -1;
  nlohmann::json output;
};

// Runs a caller to completion and parses the JSON line it prints.
CallerRun RunCaller(std::vector<std::string> argv, std::vector<std::string> env) {
  env.push_back(absl::StrCat("PATH=", std::getenv("PATH")));
  auto process = Subprocess::Start(argv, env, TempPath("caller-output"));
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return {};
  CallerRun run;
  run.exit_status = process->WaitForExit(absl::Seconds(60)).value_or(-1);
  const std::string output = process->Output();
  run.output = nlohmann::json::parse(output, nullptr, false);
  EXPECT_FALSE(run.output.is_discarded()) << output;
  return run;
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

INSTANTIATE_TEST_SUITE_P(Languages, CallersIntegrationTest, ::testing::Values("python", "node"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace hubspot_gateway
