// ArchiveAssociationsStream against hostile or broken callers, on the real
// gateway and simulator: progress messages a default client can read however
// many errors a request makes, a caller that stops reading progress cannot
// grow the gateway's memory, and an idle stream is ended.
#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bench/process_stats.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/archive_calls.h"
#include "tests/testing/polling.h"
#include "tests/testing/stack.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::hubspot_gateway::testing::Archive;
using ::hubspot_gateway::testing::SequentialRequest;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::StartStack;
using ::hubspot_gateway::testing::WaitUntil;
using ::testing::HasSubstr;

// A request of `inputs` inputs whose from ids are not record ids: it fails
// whole, without any HTTP request, every input named in its errors.
v1::ArchiveAssociationsRequest InvalidRequest(int inputs) {
  v1::ArchiveAssociationsRequest request;
  request.set_from_object_type("contacts");
  request.set_to_object_type("companies");
  for (int i = 0; i < inputs; ++i) {
    auto* input = request.add_inputs();
    input->mutable_from_object()->set_id(absl::StrCat("not-a-record-id-", 1000000000 + i));
    input->add_to_objects()->set_id("1");
  }
  return request;
}

// The process's peak resident memory in MiB, from /proc.
int64_t PeakMiB(Stack& stack) {
  return bench::ReadProcessStats(stack.gateway().pid()).peak_rss_kib / 1024;
}

// The next ordinary call still works.
void ExpectANormalCallSucceeds(Stack& stack) {
  const auto outcome = Archive(stack, SequentialRequest(1, 1, 1000));
  EXPECT_TRUE(outcome.status.ok()) << outcome.status.error_message();
}

TEST(StreamLimitsTest, ErrorsOfAHugeFailedRequestAreSpreadOverBoundedMessages) {
  auto stack = StartStack({.gateway_flags = {"--rate_limit_per_10s=0"}});
  ASSERT_NE(stack, nullptr);
  constexpr int kInputs = 95000;  // About 3.5 MB: its errors alone exceed 4 MB.
  const v1::ArchiveAssociationsRequest request = InvalidRequest(kInputs);
  ASSERT_GT(request.ByteSizeLong(), 3u << 20);
  grpc::ClientContext context;  // Default limits: 4 MiB per message received.
  auto stream = stack->stub().ArchiveAssociationsStream(&context);
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->WritesDone());
  v1::ArchiveProgress progress;
  int messages = 0;
  int named = 0;
  int acknowledgements = 0;
  int64_t errors_after_acknowledgement = 0;
  size_t largest = 0;
  while (stream->Read(&progress)) {
    ++messages;
    largest = std::max(largest, progress.ByteSizeLong());
    EXPECT_LT(progress.ByteSizeLong(), 3u << 19) << "message " << messages;
    ASSERT_EQ(progress.error_positions_size(), progress.errors_size());
    for (int i = 0; i < progress.errors_size(); ++i) {
      EXPECT_EQ(progress.error_positions(i), 0);
      auto inputs = progress.errors(i).context().find("inputs");
      if (inputs != progress.errors(i).context().end()) named += inputs->second.values_size();
      if (acknowledgements > 0) ++errors_after_acknowledgement;
    }
    acknowledgements += progress.acknowledged_size();
  }
  EXPECT_TRUE(stream->Finish().ok());
  std::cout << request.ByteSizeLong() << "-byte request: its errors in " << messages
            << " messages, the largest " << largest << " bytes\n";
  EXPECT_GE(messages, 3);
  EXPECT_EQ(named, kInputs);
  EXPECT_EQ(acknowledgements, 1);
  EXPECT_EQ(errors_after_acknowledgement, 0);  // The acknowledgement comes with its last error.
  EXPECT_EQ(progress.inputs_failed(), kInputs);
  EXPECT_TRUE(progress.done());
}

TEST(StreamLimitsTest, ACallerThatStopsReadingStopsTheStreamNotTheGatewaysMemory) {
  auto stack = StartStack({.gateway_flags = {"--rate_limit_per_10s=0"}});
  ASSERT_NE(stack, nullptr);
  const int64_t rss_at_start = PeakMiB(*stack);
  // Each request's errors take about 1.5 MB: unbounded, the ones below
  // would take 450 MB of the gateway's memory.
  constexpr int kRequests = 300;
  const v1::ArchiveAssociationsRequest request = InvalidRequest(20000);
  grpc::ClientContext context;
  auto stream = stack->stub().ArchiveAssociationsStream(&context);
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; i < kRequests && stream->Write(request); ++i) ++written;
  });
  ASSERT_TRUE(WaitUntil([&] { return written >= 5; }, absl::Seconds(60)));
  // The caller never reads: the gateway soon stops reading too, and the
  // writer stays blocked while memory stays put.
  EXPECT_FALSE(
      WaitUntil([&] { return written == kRequests; }, absl::Seconds(10), absl::Milliseconds(100)));
  const int64_t peak = PeakMiB(*stack);
  EXPECT_LT(written, kRequests);
  EXPECT_LT(peak, 300) << "MiB; at start " << rss_at_start;
  std::cout << "gateway RSS " << rss_at_start << " MiB at start, peak " << peak << " MiB; "
            << written << " of " << kRequests << " requests written before the stream stopped\n";
  context.TryCancel();
  writer.join();
  (void)stream->Finish();
  ExpectANormalCallSucceeds(*stack);
}

TEST(StreamLimitsTest, ACallerThatNeverReadsIsCancelledAfterTheIdleTimeout) {
  auto stack =
      StartStack({.gateway_flags = {"--rate_limit_per_10s=0", "--stream_idle_timeout=1s"}});
  ASSERT_NE(stack, nullptr);
  const v1::ArchiveAssociationsRequest request = InvalidRequest(20000);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
  auto stream = stack->stub().ArchiveAssociationsStream(&context);
  // The caller writes until the gateway stops reading, and never reads: its
  // last Write stays blocked until the gateway ends the stream.
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {
    for (int i = 0; i < 1000 && stream->Write(request); ++i) {
    }
    writer_done = true;
  });
  EXPECT_TRUE(WaitUntil([&] { return writer_done.load(); }, absl::Seconds(60)));
  // Unread progress would hold Finish until the deadline.
  context.TryCancel();
  writer.join();
  EXPECT_FALSE(stream->Finish().ok());
  EXPECT_TRUE(WaitUntil(
      [&] {
        return absl::StrContains(stack->gateway().Output(),
                                 "with its caller reading no progress (--stream_idle_timeout)");
      },
      absl::Seconds(30)));
  ExpectANormalCallSucceeds(*stack);
}

TEST(StreamLimitsTest, AnIdleStreamIsEndedWithDeadlineExceeded) {
  auto stack = StartStack({.gateway_flags = {"--stream_idle_timeout=300ms"}});
  ASSERT_NE(stack, nullptr);
  grpc::ClientContext context;
  auto stream = stack->stub().ArchiveAssociationsStream(&context);
  ASSERT_TRUE(stream->Write(SequentialRequest(1, 10, 1000)));
  // The caller then neither sends nor closes.
  v1::ArchiveProgress progress;
  int acknowledged = 0;
  while (stream->Read(&progress)) acknowledged += progress.acknowledged_size();
  EXPECT_EQ(acknowledged, 1);
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(), HasSubstr("stream idle for 300ms"));
  ExpectANormalCallSucceeds(*stack);
}

}  // namespace
}  // namespace hubspot_gateway
