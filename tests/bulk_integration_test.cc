// Bulk archive end to end: the sample client streams 100,000 pairs from a
// file through ArchiveAssociationsStream on the real gateway to the real
// simulator; failed pairs come back in a file that can be fed in again.
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/stack.h"

namespace hubspot_gateway {
namespace {

using ::hubspot_gateway::testing::ReadFile;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::Subprocess;
using ::hubspot_gateway::testing::TempPath;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int kPairs = 100000;

std::vector<std::pair<std::string, std::string>> Pairs() {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < kPairs; ++i) {
    pairs.push_back({absl::StrCat(1000000 + i), absl::StrCat(5000000 + i)});
  }
  return pairs;
}

std::string WriteCsv(const std::vector<std::pair<std::string, std::string>>& pairs) {
  const std::string path = TempPath("pairs") + ".csv";
  std::ofstream out(path);
  out << "from,to\n";
  for (const auto& [from, to] : pairs) out << from << "," << to << "\n";
  return path;
}

struct ClientRun {
  int exit_status = -1;
  std::string output;
};

ClientRun RunBulkClient(Stack& stack, const std::string& input, const std::string& failed) {
  const std::string output_path = TempPath("bulk-client-output");
  auto client = Subprocess::Start(
      {"client/sample_client", absl::StrCat("--target=127.0.0.1:", stack.gateway_port()),
       absl::StrCat("--bulk_file=", input), absl::StrCat("--failed_out=", failed),
       "--deadline=300s"},
      {}, output_path);
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return {};
  ClientRun run;
  run.exit_status = client->WaitForExit(absl::Seconds(300)).value_or(-1);
  run.output = client->Output();
  return run;
}

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    lines.insert(std::string(line));
  }
  return lines;
}

std::unique_ptr<Stack> StartStack() {
  StackOptions options;
  options.simulator_flags = {"--rate_limit_per_10s=0"};
  options.gateway_flags = {"--rate_limit_per_10s=0", "--max_attempts=2", "--initial_backoff=10ms"};
  auto stack = Stack::Start(options);
  EXPECT_TRUE(stack.ok()) << stack.status();
  return stack.ok() ? *std::move(stack) : nullptr;
}

TEST(BulkIntegrationTest, HundredThousandPairsAreAllArchived) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  const auto pairs = Pairs();
  ASSERT_TRUE(stack->Seed("contacts", "companies", pairs).ok());
  const std::string failed = TempPath("failed") + ".csv";
  const ClientRun run = RunBulkClient(*stack, WriteCsv(pairs), failed);
  EXPECT_EQ(run.exit_status, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("job of 100000 pairs: 100000 archived, 0 failed, 0 unconfirmed"));
  EXPECT_THAT(*stack->Associations("contacts", "companies"), IsEmpty());
  EXPECT_EQ(ReadFile(failed), "");
  auto stats = stack->AdminGet("/_admin/stats");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ((*stats)["archive_inputs"], kPairs);
  EXPECT_EQ((*stats)["max_inputs_seen"], 100);
}

TEST(BulkIntegrationTest, FailedPairsAreWrittenBackAndCanBeFedIn) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  const auto pairs = Pairs();
  ASSERT_TRUE(stack->Seed("contacts", "companies", pairs).ok());
  // Two requests (of 100 pairs each) fail for good.
  ASSERT_TRUE(stack
                  ->AdminPost("/_admin/faults",
                              {{"fail_from_ids", nlohmann::json::array({"1000250", "1077777"})}})
                  .ok());
  const std::string failed = TempPath("failed") + ".csv";
  ClientRun run = RunBulkClient(*stack, WriteCsv(pairs), failed);
  EXPECT_EQ(run.exit_status, 20) << run.output;
  EXPECT_THAT(run.output, HasSubstr("99800 archived, 200 failed, 0 unconfirmed"));
  const std::set<std::string> failed_lines = Lines(ReadFile(failed));
  EXPECT_EQ(failed_lines.size(), 200u);
  EXPECT_TRUE(failed_lines.count("1000250,5000250"));
  EXPECT_TRUE(failed_lines.count("1077777,5077777"));
  // Exactly the failed pairs are still in the simulator.
  std::set<std::string> held;
  const auto remaining = stack->Associations("contacts", "companies");
  ASSERT_TRUE(remaining.ok());
  for (const std::string& pair : *remaining) {
    std::vector<std::string> sides = absl::StrSplit(pair, '>');
    held.insert(absl::StrCat(sides[0], ",", sides[1]));
  }
  EXPECT_EQ(held, failed_lines);

  // Once HubSpot recovers, feeding the failed file back finishes the job.
  ASSERT_TRUE(
      stack->AdminPost("/_admin/faults", {{"fail_from_ids", nlohmann::json::array()}}).ok());
  const std::string still_failed = TempPath("still-failed") + ".csv";
  run = RunBulkClient(*stack, failed, still_failed);
  EXPECT_EQ(run.exit_status, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("job of 200 pairs: 200 archived, 0 failed, 0 unconfirmed"));
  EXPECT_THAT(*stack->Associations("contacts", "companies"), IsEmpty());
}

TEST(BulkIntegrationTest, DrawsAProgressBarOnATerminal) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  std::vector<std::pair<std::string, std::string>> pairs = Pairs();
  pairs.resize(5000);
  const std::string command =
      absl::StrCat("client/sample_client --target=127.0.0.1:", stack->gateway_port(),
                   " --bulk_file=", WriteCsv(pairs), " --deadline=300s");
  // script(1) gives the client a pseudo-terminal.
  const std::string output_path = TempPath("tty-output");
  auto run = Subprocess::Start({"/usr/bin/script", "-qec", command, "/dev/null"}, {"TERM=dumb"},
                               output_path);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->WaitForExit(absl::Seconds(120)).value_or(-1), 0);
  const std::string output = run->Output();
  EXPECT_THAT(output, HasSubstr("\r[##############################] 5000/5000 pairs done"));
  EXPECT_THAT(output, HasSubstr("job of 5000 pairs: 5000 archived, 0 failed, 0 unconfirmed"));
}

TEST(BulkIntegrationTest, StreamReadsOnlyAsFastAsItArchivesAndSurvivesCancellation) {
  namespace v1 = ::hubspot::crm::associations::v1;
  StackOptions options;
  options.simulator_flags = {"--rate_limit_per_10s=0", "--latency_ms=100"};
  options.gateway_flags = {"--rate_limit_per_10s=0", "--max_concurrent_requests_per_call=2"};
  auto started = Stack::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  Stack& stack = **started;

  grpc::ClientContext context;
  auto stream = stack.stub().ArchiveAssociationsStream(&context);
  constexpr int kMessages = 1000;
  constexpr int kPairsPerMessage = 100;
  std::thread writer([&] {
    for (int m = 0; m < kMessages; ++m) {
      v1::ArchiveAssociationsRequest request;
      request.set_from_object_type("contacts");
      request.set_to_object_type("companies");
      for (int i = 0; i < kPairsPerMessage; ++i) {
        auto* input = request.add_inputs();
        input->mutable_from_object()->set_id(absl::StrCat(m * kPairsPerMessage + i + 1));
        input->add_to_objects()->set_id("9");
      }
      if (!stream->Write(request)) return;  // Cancelled.
    }
    stream->WritesDone();
  });
  // However fast the caller writes, the gateway holds at most 2 requests
  // beyond what has finished.
  v1::ArchiveProgress progress;
  for (int seen = 0; seen < 10 && stream->Read(&progress); ++seen) {
    const int64_t unfinished =
        progress.inputs_received() - progress.inputs_archived() - progress.inputs_failed();
    EXPECT_LE(unfinished, 2 * kPairsPerMessage) << progress.ShortDebugString();
    EXPECT_LT(progress.inputs_received(), kMessages * kPairsPerMessage);
  }
  context.TryCancel();
  while (stream->Read(&progress)) {
  }
  writer.join();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // Fewer than all 1,000 requests went upstream, and the gateway still serves.
  auto stats = stack.AdminGet("/_admin/stats");
  ASSERT_TRUE(stats.ok());
  EXPECT_LT((*stats)["archive_requests"].get<int>(), kMessages);
  const std::string pairs_file = WriteCsv({{"1", "2"}});
  EXPECT_EQ(RunBulkClient(stack, pairs_file, TempPath("failed")).exit_status, 0);
}

TEST(BulkIntegrationTest, MalformedLineStopsTheRunNamingIt) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  const std::string input = TempPath("bad") + ".csv";
  std::ofstream(input) << "1,2\n3;4\n";
  const ClientRun run = RunBulkClient(*stack, input, TempPath("failed") + ".csv");
  EXPECT_EQ(run.exit_status, 3) << run.output;  // INVALID_ARGUMENT
  EXPECT_THAT(run.output, HasSubstr("line 2"));
}

}  // namespace
}  // namespace hubspot_gateway
