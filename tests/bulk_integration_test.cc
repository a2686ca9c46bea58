// Bulk archive end to end: the sample client streams 100,000 pairs from a
// file through ArchiveAssociationsStream on the real gateway to the real
// simulator; failed pairs come back in a file that can be fed in again. And
// the job loses nothing whatever breaks: the gateway killed, restarted or
// drained mid-job, a message it cannot decode, the client killed and rerun.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/archive_calls.h"
#include "tests/testing/polling.h"
#include "tests/testing/stack.h"

namespace hubspot_gateway {
namespace {

using ::hubspot_gateway::testing::kSimulatorToken;
using ::hubspot_gateway::testing::ReadFile;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::Stat;
using ::hubspot_gateway::testing::Subprocess;
using ::hubspot_gateway::testing::TempPath;
using ::hubspot_gateway::testing::WaitUntil;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

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

absl::StatusOr<Subprocess> StartBulkClient(Stack& stack, const std::string& input,
                                           const std::string& failed,
                                           const std::vector<std::string>& flags = {}) {
  std::vector<std::string> argv = {"client/sample_client",
                                   absl::StrCat("--target=127.0.0.1:", stack.gateway_port()),
                                   absl::StrCat("--bulk_file=", input),
                                   absl::StrCat("--failed_out=", failed), "--deadline=300s"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return Subprocess::Start(argv, {}, TempPath("bulk-client-output"));
}

ClientRun WaitForClient(absl::StatusOr<Subprocess>& client) {
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return {};
  ClientRun run;
  run.exit_status = client->WaitForExit(absl::Seconds(300)).value_or(-1);
  run.output = client->Output();
  return run;
}

ClientRun RunBulkClient(Stack& stack, const std::string& input, const std::string& failed,
                        const std::vector<std::string>& flags = {}) {
  auto client = StartBulkClient(stack, input, failed, flags);
  return WaitForClient(client);
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
  EXPECT_THAT(run.output,
              HasSubstr("job of 100000 pairs: 100000 archived, 0 failed, 0 unconfirmed"));
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
  // Two requests per call at most (no adaptive limit per token to raise it).
  options.gateway_flags = {"--rate_limit_per_10s=0", "--max_concurrent_requests_per_call=2",
                           "--max_requests_in_flight_per_token=0"};
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

// ---- Whatever breaks, every pair is archived or written down (issue 9). ----

constexpr int kPairsPerRequest = 100;
constexpr int kRequests = kPairs / kPairsPerRequest;
constexpr int kMidJob = kPairs * 3 / 10;

// "from,to" for every association the simulator still holds.
std::set<std::string> Held(Stack& stack) {
  std::set<std::string> held;
  const auto remaining = stack.Associations("contacts", "companies");
  EXPECT_TRUE(remaining.ok());
  if (!remaining.ok()) return held;
  for (const std::string& pair : *remaining) {
    std::vector<std::string> sides = absl::StrSplit(pair, '>');
    held.insert(absl::StrCat(sides[0], ",", sides[1]));
  }
  return held;
}

// The request indexes a --journal file records acknowledged.
std::set<int> Journaled(const std::string& journal) {
  std::set<int> indexes;
  for (absl::string_view line : absl::StrSplit(ReadFile(journal), '\n', absl::SkipEmpty())) {
    // "<index> <SHA-256 of its pairs> [failed pairs] <checksum>" (a line the
    // kill cut short has no checksum yet).
    int index = 0;
    const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() >= 3 && fields.back().size() == 64 && absl::SimpleAtoi(fields[0], &index)) {
      indexes.insert(index);
    }
  }
  return indexes;
}

// The pairs of Pairs() that the requests `indexes` carried, as "from,to".
std::set<std::string> PairsOf(const std::set<int>& indexes) {
  const auto pairs = Pairs();
  std::set<std::string> lines;
  for (int index : indexes) {
    for (int i = index * kPairsPerRequest; i < (index + 1) * kPairsPerRequest; ++i) {
      lines.insert(absl::StrCat(pairs[i].first, ",", pairs[i].second));
    }
  }
  return lines;
}

int Intersection(const std::set<std::string>& a, const std::set<std::string>& b) {
  int both = 0;
  for (const std::string& line : a) both += b.count(line);
  return both;
}

// Request `index` of the job: Pairs() [index * 100, (index + 1) * 100).
hubspot::crm::associations::v1::ArchiveAssociationsRequest JobRequest(int index) {
  static const auto* const pairs = new std::vector<std::pair<std::string, std::string>>(Pairs());
  hubspot::crm::associations::v1::ArchiveAssociationsRequest request;
  request.set_from_object_type("contacts");
  request.set_to_object_type("companies");
  for (int i = index * kPairsPerRequest; i < (index + 1) * kPairsPerRequest; ++i) {
    auto* input = request.add_inputs();
    input->mutable_from_object()->set_id((*pairs)[i].first);
    input->add_to_objects()->set_id((*pairs)[i].second);
  }
  return request;
}

// Starts a gateway on the port the stack's gateway had (the old one gone).
void RestartGatewayOnSamePort(Stack& stack, std::vector<std::string> flags) {
  flags.push_back(absl::StrCat("--listen=127.0.0.1:", stack.gateway_port()));
  ASSERT_TRUE(stack.StartGateway(flags, kSimulatorToken).ok());
}

// No rate limit, and 4 requests in flight per stream (no adaptive limit per
// token): a 100,000-pair job outlasts the 5 s drain, so a signal lands mid-job.
const std::vector<std::string> kFastGateway = {"--rate_limit_per_10s=0", "--max_attempts=2",
                                               "--initial_backoff=10ms",
                                               "--max_requests_in_flight_per_token=0"};

// A stack whose simulator answers after `latency_ms`, seeded with Pairs().
std::unique_ptr<Stack> StartSeededSlowStack(int latency_ms) {
  StackOptions options;
  options.simulator_flags = {"--rate_limit_per_10s=0", absl::StrCat("--latency_ms=", latency_ms)};
  options.gateway_flags = kFastGateway;
  auto stack = Stack::Start(options);
  EXPECT_TRUE(stack.ok()) << stack.status();
  if (!stack.ok()) return nullptr;
  EXPECT_TRUE((*stack)->Seed("contacts", "companies", Pairs()).ok());
  return *std::move(stack);
}

TEST(BulkRecoveryTest, GatewayKilledMidJobEveryPairNotAcknowledgedIsInFailedOut) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->Seed("contacts", "companies", Pairs()).ok());
  const std::string failed = TempPath("failed") + ".csv";
  const std::string journal = TempPath("journal");
  auto client = StartBulkClient(*stack, WriteCsv(Pairs()), failed,
                                {"--max_reconnects=1", absl::StrCat("--journal=", journal)});
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(
      WaitUntil([&] { return Stat(*stack, "archive_inputs") >= kMidJob; }, absl::Seconds(60)));
  stack->gateway().Signal(SIGKILL);
  const ClientRun run = WaitForClient(client);
  EXPECT_EQ(run.exit_status, 14) << run.output;  // UNAVAILABLE
  const std::set<std::string> failed_lines = Lines(ReadFile(failed));
  const std::set<std::string> held = Held(*stack);
  const std::set<std::string> acknowledged = PairsOf(Journaled(journal));
  // Lost: still associated yet named nowhere. None.
  EXPECT_EQ(static_cast<int>(held.size()), Intersection(held, failed_lines));
  EXPECT_EQ(Intersection(failed_lines, acknowledged), 0);
  EXPECT_EQ(acknowledged.size() + failed_lines.size(), static_cast<size_t>(kPairs));
  EXPECT_THAT(run.output, HasSubstr(absl::StrCat("job of 100000 pairs: ", acknowledged.size(),
                                                 " archived, 0 failed, ", failed_lines.size(),
                                                 " unconfirmed")));
  EXPECT_FALSE(held.empty());  // The kill came mid-job.
}

TEST(BulkRecoveryTest, DeadlinePassedMidJobEveryPairNotAcknowledgedIsInFailedOut) {
  auto stack = StartSeededSlowStack(50);
  ASSERT_NE(stack, nullptr);
  const std::string failed = TempPath("failed") + ".csv";
  const ClientRun run =
      RunBulkClient(*stack, WriteCsv(Pairs()), failed, {"--deadline=1s", "--max_reconnects=0"});
  EXPECT_EQ(run.exit_status, 4) << run.output;  // DEADLINE_EXCEEDED
  const std::set<std::string> failed_lines = Lines(ReadFile(failed));
  const std::set<std::string> held = Held(*stack);
  EXPECT_FALSE(held.empty());
  EXPECT_EQ(static_cast<int>(held.size()), Intersection(held, failed_lines));  // None lost.
  // The requests the deadline cut short upstream are acknowledged as failed.
  int archived = 0;
  int failed_pairs = 0;
  int unconfirmed = 0;
  const size_t summary = run.output.find("job of 100000 pairs: ");
  ASSERT_NE(summary, std::string::npos) << run.output;
  ASSERT_EQ(std::sscanf(run.output.c_str() + summary,
                        "job of 100000 pairs: %d archived, %d failed, %d unconfirmed", &archived,
                        &failed_pairs, &unconfirmed),
            3);
  EXPECT_EQ(archived + failed_pairs + unconfirmed, kPairs);
  EXPECT_EQ(static_cast<size_t>(failed_pairs + unconfirmed), failed_lines.size());
  EXPECT_GT(unconfirmed, 0);
}

TEST(BulkRecoveryTest, GatewayRestartedOnTheSamePortMidJobTheClientReconnects) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->Seed("contacts", "companies", Pairs()).ok());
  const std::string failed = TempPath("failed") + ".csv";
  auto client = StartBulkClient(*stack, WriteCsv(Pairs()), failed);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(
      WaitUntil([&] { return Stat(*stack, "archive_inputs") >= kMidJob; }, absl::Seconds(60)));
  stack->gateway().Signal(SIGKILL);
  (void)stack->gateway().WaitForExit(absl::Seconds(10));
  RestartGatewayOnSamePort(*stack, kFastGateway);
  const ClientRun run = WaitForClient(client);
  EXPECT_EQ(run.exit_status, 0) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("job of 100000 pairs: 100000 archived, 0 failed, 0 unconfirmed"));
  EXPECT_THAT(run.output, HasSubstr("reconnecting"));
  EXPECT_THAT(Held(*stack), IsEmpty());
  EXPECT_EQ(ReadFile(failed), "");
}

TEST(BulkRecoveryTest, SigtermDrainsTheStreamAcknowledgingWhatItReadThenUnavailable) {
  namespace v1 = ::hubspot::crm::associations::v1;
  auto started = StartSeededSlowStack(20);
  ASSERT_NE(started, nullptr);
  Stack& stack = *started;

  grpc::ClientContext context;
  auto stream = stack.stub().ArchiveAssociationsStream(&context);
  std::thread writer([&] {
    for (int r = 0; r < kRequests; ++r) {
      if (!stream->Write(JobRequest(r))) return;  // The gateway stopped reading.
    }
    stream->WritesDone();
  });
  std::set<int> acknowledged;
  v1::ArchiveProgress progress;
  v1::ArchiveProgress last;
  bool signalled = false;
  while (stream->Read(&progress)) {
    for (int64_t position : progress.acknowledged()) {
      EXPECT_TRUE(acknowledged.insert(static_cast<int>(position)).second) << position;
    }
    if (!signalled && acknowledged.size() >= 50) {
      stack.gateway().Signal(SIGTERM);
      signalled = true;
    }
    last = progress;
  }
  writer.join();
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("shutting down"));
  // Every request the gateway read was finished and acknowledged.
  EXPECT_TRUE(last.done());
  EXPECT_LT(last.requests_read(), kRequests);
  EXPECT_EQ(static_cast<int64_t>(acknowledged.size()), last.requests_read());
  EXPECT_EQ(*acknowledged.rbegin(), last.requests_read() - 1);
  EXPECT_EQ(last.inputs_archived(), last.requests_read() * kPairsPerRequest);
  // Exactly the acknowledged pairs left the simulator.
  EXPECT_EQ(Held(stack).size(),
            static_cast<size_t>(kPairs) - acknowledged.size() * kPairsPerRequest);
  EXPECT_EQ(stack.gateway().WaitForExit(absl::Seconds(30)).value_or(-1), 0);
}

TEST(BulkRecoveryTest, SigtermMidJobTheClientResumesOnTheNextGateway) {
  auto started = StartSeededSlowStack(5);
  ASSERT_NE(started, nullptr);
  Stack& stack = *started;
  const std::string failed = TempPath("failed") + ".csv";
  auto client = StartBulkClient(stack, WriteCsv(Pairs()), failed);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(
      WaitUntil([&] { return Stat(stack, "archive_inputs") >= kMidJob; }, absl::Seconds(60)));
  stack.gateway().Signal(SIGTERM);
  EXPECT_EQ(stack.gateway().WaitForExit(absl::Seconds(30)).value_or(-1), 0);
  RestartGatewayOnSamePort(stack, kFastGateway);
  const ClientRun run = WaitForClient(client);
  EXPECT_EQ(run.exit_status, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("code 14: the gateway is shutting down"));
  EXPECT_THAT(run.output,
              HasSubstr("job of 100000 pairs: 100000 archived, 0 failed, 0 unconfirmed"));
  EXPECT_THAT(Held(stack), IsEmpty());
  EXPECT_EQ(ReadFile(failed), "");
}

// A raw gRPC client: the stream's method with messages as bytes.
class RawStream {
 public:
  RawStream(Stack& stack, grpc::ClientContext& context)
      : stub_(grpc::CreateChannel(absl::StrCat("127.0.0.1:", stack.gateway_port()),
                                  grpc::InsecureChannelCredentials())) {
    call_ = stub_.PrepareCall(
        &context, "/hubspot.crm.associations.v1.AssociationsArchive/ArchiveAssociationsStream",
        &queue_);
    call_->StartCall(this);
    Wait();
  }
  ~RawStream() {
    queue_.Shutdown();
    void* tag;
    bool ok;
    while (queue_.Next(&tag, &ok)) {
    }
  }

  bool Write(const std::string& bytes) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    call_->Write(buffer, this);
    return Wait();
  }
  void WritesDone() {
    call_->WritesDone(this);
    Wait();
  }
  bool Read(hubspot::crm::associations::v1::ArchiveProgress& progress) {
    grpc::ByteBuffer buffer;
    call_->Read(&buffer, this);
    if (!Wait()) return false;
    return grpc::SerializationTraits<hubspot::crm::associations::v1::ArchiveProgress>::Deserialize(
               &buffer, &progress)
        .ok();
  }
  grpc::Status Finish() {
    grpc::Status status;
    call_->Finish(&status, this);
    Wait();
    return status;
  }

 private:
  bool Wait() {
    void* tag;
    bool ok = false;
    queue_.Next(&tag, &ok);
    return ok;
  }

  grpc::GenericStub stub_;
  grpc::CompletionQueue queue_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
};

TEST(BulkRecoveryTest, AMessageTheGatewayCannotDecodeEndsTheStreamNothingAfterItArchived) {
  namespace v1 = ::hubspot::crm::associations::v1;
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  const auto pairs = Pairs();
  ASSERT_TRUE(stack->Seed("contacts", "companies", pairs).ok());
  constexpr int kBad = kRequests / 2;
  grpc::ClientContext context;
  RawStream stream(*stack, context);
  int written = 0;
  for (int r = 0; r < kRequests; ++r) {
    std::string bytes;
    if (r == kBad) {
      bytes = "\x0a\x02\xff\xfe";  // from_object_type: a string that is not UTF-8.
    } else {
      bytes = JobRequest(r).SerializeAsString();
    }
    if (!stream.Write(bytes)) break;  // The gateway ended the stream.
    ++written;
  }
  if (written == kRequests) stream.WritesDone();
  std::set<int> acknowledged;
  v1::ArchiveProgress progress;
  v1::ArchiveProgress last;
  while (stream.Read(progress)) {
    acknowledged.insert(progress.acknowledged().begin(), progress.acknowledged().end());
    last = progress;
  }
  const grpc::Status status = stream.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr(absl::StrCat("request ", kBad)));
  EXPECT_THAT(status.error_message(), HasSubstr("could not be decoded"));
  // Everything before it is acknowledged; nothing after it was read.
  EXPECT_EQ(last.requests_read(), kBad);
  EXPECT_EQ(acknowledged.size(), static_cast<size_t>(kBad));
  EXPECT_EQ(*acknowledged.rbegin(), kBad - 1);
  EXPECT_EQ(last.inputs_received(), kBad * kPairsPerRequest);
  EXPECT_EQ(last.inputs_archived() + last.inputs_failed(), last.inputs_received());
  std::set<int> after;
  for (int r = kBad + 1; r < kRequests; ++r) after.insert(r);
  std::set<int> before;
  for (int r = 0; r < kBad; ++r) before.insert(r);
  const std::set<std::string> held = Held(*stack);
  EXPECT_EQ(Intersection(held, PairsOf(before)), 0);
  EXPECT_EQ(Intersection(held, PairsOf(after)), (kRequests - kBad - 1) * kPairsPerRequest);
}

TEST(BulkRecoveryTest, ALineThatIsNotUtf8StopsTheRunBeforeAnythingIsSent) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  const std::string input = TempPath("bad") + ".csv";
  {
    std::ofstream out(input);
    for (int i = 1; i <= 2001; ++i)
      out << (i == 501 ? "\xff\xfe,5" : absl::StrCat(i, ",9")) << "\n";
  }
  const ClientRun run = RunBulkClient(*stack, input, TempPath("failed") + ".csv");
  EXPECT_EQ(run.exit_status, 3) << run.output;  // INVALID_ARGUMENT
  EXPECT_THAT(run.output, HasSubstr("line 501: expected valid UTF-8"));
  EXPECT_EQ(Stat(*stack, "archive_requests"), 0);
}

TEST(BulkRecoveryTest, ClientKilledMidJobResumesFromItsJournalWithoutRedoingWork) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->Seed("contacts", "companies", Pairs()).ok());
  const std::string input = WriteCsv(Pairs());
  const std::string journal = TempPath("journal");
  auto client = StartBulkClient(*stack, input, TempPath("failed") + ".csv",
                                {absl::StrCat("--journal=", journal)});
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(
      WaitUntil([&] { return Stat(*stack, "archive_inputs") >= kMidJob; }, absl::Seconds(60)));
  client->Signal(SIGKILL);
  (void)client->WaitForExit(absl::Seconds(10));
  // The gateway logs the stream once its requests in flight have finished.
  ASSERT_TRUE(WaitUntil(
      [&] { return absl::StrContains(stack->AllOutput(), "method=ArchiveAssociationsStream"); },
      absl::Seconds(30)));
  const int first_run = Stat(*stack, "archive_requests");
  const int journaled = static_cast<int>(Journaled(journal).size());
  // Upstream but not journaled: in flight at the kill, or acknowledged by the
  // gateway in a message the client had not read yet.
  const int in_flight_at_kill = first_run - journaled;
  EXPECT_GE(in_flight_at_kill, 0);

  const std::string failed = TempPath("failed") + ".csv";
  const ClientRun run = RunBulkClient(*stack, input, failed, {absl::StrCat("--journal=", journal)});
  EXPECT_EQ(run.exit_status, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr(absl::StrCat("skipped ", journaled * kPairsPerRequest,
                                                 " pairs acknowledged in ", journal)));
  EXPECT_THAT(Held(*stack), IsEmpty());
  EXPECT_EQ(ReadFile(failed), "");
  const int second_run = Stat(*stack, "archive_requests") - first_run;
  EXPECT_LE(first_run + second_run, kRequests + in_flight_at_kill);
  EXPECT_EQ(second_run, kRequests - journaled);
  std::cout << "client killed after " << journaled << " acknowledged requests; "
            << in_flight_at_kill << " in flight; upstream requests " << first_run << " + "
            << second_run << "\n";
}

// ---- Nothing lost (issue 21): the journal belongs to one job, the failed
// file is written whole or the run fails naming it, every pair read is sent
// or listed. ----

// The README's recipe: a job with a journal, then its failed pairs fed back
// in. Rerunning failed.csv with the job's journal used to skip the requests
// the journal recorded for the first input (500 pairs left associated, 100
// listed); now that journal is refused, and a new one finishes the job.
TEST(BulkJournalIntegrationTest, TheReadmeRetryRecipeFinishesTheJob) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  std::vector<std::pair<std::string, std::string>> pairs = Pairs();
  pairs.resize(2000);
  ASSERT_TRUE(stack->Seed("contacts", "companies", pairs).ok());
  ASSERT_TRUE(stack
                  ->AdminPost("/_admin/faults",
                              {{"fail_from_ids", nlohmann::json::array({"1000150", "1001750"})}})
                  .ok());
  const std::string journal = TempPath("pairs") + ".journal";
  const std::string failed = TempPath("failed") + ".csv";
  ClientRun run =
      RunBulkClient(*stack, WriteCsv(pairs), failed, {absl::StrCat("--journal=", journal)});
  EXPECT_EQ(run.exit_status, 20) << run.output;
  EXPECT_THAT(run.output, HasSubstr("1800 archived, 200 failed, 0 unconfirmed"));
  ASSERT_EQ(Lines(ReadFile(failed)).size(), 200u);
  ASSERT_TRUE(
      stack->AdminPost("/_admin/faults", {{"fail_from_ids", nlohmann::json::array()}}).ok());
  const int requests_before = Stat(*stack, "archive_requests");

  // The wrong way: the first job's journal with the failed file.
  const std::string still_failed = TempPath("still-failed") + ".csv";
  run = RunBulkClient(*stack, failed, still_failed, {absl::StrCat("--journal=", journal)});
  EXPECT_EQ(run.exit_status, 9) << run.output;  // FAILED_PRECONDITION
  EXPECT_THAT(run.output, HasSubstr("written for another job"));
  EXPECT_THAT(run.output, HasSubstr("give any other input a new journal"));
  EXPECT_EQ(Stat(*stack, "archive_requests"), requests_before);  // Nothing sent.
  EXPECT_EQ(Held(*stack).size(), 200u);

  // The recipe: the failed file with a journal of its own.
  run = RunBulkClient(*stack, failed, still_failed,
                      {absl::StrCat("--journal=", TempPath("failed") + ".journal")});
  EXPECT_EQ(run.exit_status, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("job of 200 pairs: 200 archived, 0 failed, 0 unconfirmed"));
  EXPECT_THAT(Held(*stack), IsEmpty());
  EXPECT_EQ(ReadFile(still_failed), "");
}

// Runs the client under bash: `setup` (e.g. "ulimit -f 4") first, stdin
// from `stdin_path` when given.
ClientRun RunBulkClientInShell(Stack& stack, const std::string& setup, const std::string& input,
                               const std::string& failed, const std::string& stdin_path = "") {
  std::string command =
      absl::StrCat(setup, "; exec client/sample_client --target=127.0.0.1:", stack.gateway_port(),
                   " --bulk_file=", input, " --failed_out=", failed, " --deadline=300s");
  if (!stdin_path.empty()) absl::StrAppend(&command, " < ", stdin_path);
  auto client = Subprocess::Start({"/bin/bash", "-c", command}, {}, TempPath("bulk-client-output"));
  return WaitForClient(client);
}

// Issue 21: with a missing directory, /dev/full or a 4 KiB file-size limit
// the client said "(written to ...)" and wrote 0, 0 and 273 of 500 pairs.
TEST(BulkFailedFileIntegrationTest, AFailedFileThatCannotBeWrittenFailsTheRunNamingIt) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  std::vector<std::pair<std::string, std::string>> pairs = Pairs();
  pairs.resize(1000);
  ASSERT_TRUE(stack->Seed("contacts", "companies", pairs).ok());
  // 500 pairs fail: 5 requests of 100.
  ASSERT_TRUE(
      stack
          ->AdminPost("/_admin/faults",
                      {{"fail_from_ids", nlohmann::json::array({"1000000", "1000100", "1000200",
                                                                "1000300", "1000400"})}})
          .ok());
  const std::string input = WriteCsv(pairs);

  const std::string missing = TempPath("no-such-dir") + "/failed.csv";
  ClientRun run = RunBulkClient(*stack, input, missing);
  EXPECT_EQ(run.exit_status, 74) << run.output;
  EXPECT_THAT(run.output, HasSubstr(absl::StrCat("--failed_out ", missing)));
  EXPECT_THAT(run.output, HasSubstr("nothing was sent"));
  EXPECT_EQ(Stat(*stack, "archive_requests"), 0);

  run = RunBulkClient(*stack, input, "/dev/full");
  EXPECT_EQ(run.exit_status, 74) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--failed_out /dev/full"));
  EXPECT_THAT(run.output, HasSubstr("No space left on device"));
  EXPECT_THAT(run.output, Not(HasSubstr("written to")));

  const std::string limited = TempPath("limited") + ".csv";
  run = RunBulkClientInShell(*stack, "ulimit -f 4", input, limited);
  EXPECT_EQ(run.exit_status, 74) << run.output;
  EXPECT_THAT(run.output, HasSubstr(absl::StrCat("--failed_out ", limited)));
  EXPECT_THAT(run.output, HasSubstr("File too large"));
  EXPECT_THAT(run.output, Not(HasSubstr("written to")));
  EXPECT_EQ(ReadFile(limited), "");  // No partial list passing for a whole one.
}

// Issue 21: with a bad line at 551 of 1,000 on stdin, lines 501-550 were
// never sent, counted or listed.
TEST(BulkInputIntegrationTest, PairsReadFromStdinBeforeABadLineAreSent) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  std::vector<std::pair<std::string, std::string>> pairs = Pairs();
  pairs.resize(1000);
  ASSERT_TRUE(stack->Seed("contacts", "companies", pairs).ok());
  const std::string input = TempPath("stdin") + ".csv";
  {
    std::ofstream out(input);
    for (int i = 0; i < 1000; ++i) {
      out << (i == 550 ? "oops" : absl::StrCat(pairs[i].first, ",", pairs[i].second)) << "\n";
    }
  }
  const std::string failed = TempPath("failed") + ".csv";
  const ClientRun run = RunBulkClientInShell(*stack, "true", "-", failed, input);
  EXPECT_EQ(run.exit_status, 3) << run.output;  // INVALID_ARGUMENT
  EXPECT_THAT(run.output, HasSubstr("- line 551"));
  EXPECT_THAT(run.output, HasSubstr("job of 550 pairs: 550 archived, 0 failed, 0 unconfirmed"));
  // Lines 1-550 archived; the rest never read.
  const std::set<std::string> held = Held(*stack);
  EXPECT_EQ(held.size(), 450u);
  EXPECT_FALSE(held.count(absl::StrCat(pairs[549].first, ",", pairs[549].second)));
  EXPECT_TRUE(held.count(absl::StrCat(pairs[551].first, ",", pairs[551].second)));
}

// Issue 21: Excel's "CSV UTF-8" (a byte order mark first) was refused.
TEST(BulkInputIntegrationTest, ACsvWithAByteOrderMarkIsArchived) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  ASSERT_TRUE(stack->Seed("contacts", "companies", {{"11", "21"}, {"12", "22"}}).ok());
  const std::string input = TempPath("excel") + ".csv";
  std::ofstream(input) << "\xEF\xBB\xBF"
                          "from,to\r\n11,21\r\n12,22\r\n";
  const ClientRun run = RunBulkClient(*stack, input, TempPath("failed") + ".csv");
  EXPECT_EQ(run.exit_status, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("job of 2 pairs: 2 archived"));
  EXPECT_THAT(Held(*stack), IsEmpty());
}

}  // namespace
}  // namespace hubspot_gateway
