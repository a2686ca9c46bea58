#include "server/api/stream_progress.h"

#include <deque>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::deque<v1::StandardError> ErrorsOfSize(int count, size_t message_bytes = 10) {
  std::deque<v1::StandardError> errors(count);
  for (int i = 0; i < count; ++i) errors[i].set_message(std::string(message_bytes, 'e'));
  return errors;
}

TEST(StreamProgressTest, ReadsGetPositionsAndAreNoNewsOnTheirOwn) {
  StreamProgress progress(ProgressLimits{});
  EXPECT_EQ(progress.Read(3), 0u);
  EXPECT_EQ(progress.Read(5), 1u);
  EXPECT_FALSE(progress.HasNews());
  EXPECT_EQ(progress.counts().requests_read, 2);
  EXPECT_EQ(progress.counts().inputs_received, 8);
}

TEST(StreamProgressTest, AMessageCarriesTheCountsAndAcknowledgesInOrder) {
  StreamProgress progress(ProgressLimits{});
  progress.Read(3);
  progress.Read(2);
  progress.CountUpstream(4);
  progress.Finished(1, 2, 0, {});
  progress.Finished(0, 2, 1, ErrorsOfSize(1));
  ASSERT_TRUE(progress.HasNews());

  const v1::ArchiveProgress message = progress.Next(/*finished=*/true);
  EXPECT_EQ(message.requests_read(), 2);
  EXPECT_EQ(message.inputs_received(), 5);
  EXPECT_EQ(message.inputs_archived(), 4);
  EXPECT_EQ(message.inputs_failed(), 1);
  EXPECT_EQ(message.upstream_requests(), 4);
  EXPECT_THAT(message.acknowledged(), ElementsAre(0, 1));
  EXPECT_THAT(message.error_positions(), ElementsAre(0));
  EXPECT_TRUE(message.done());
  EXPECT_FALSE(progress.HasNews());
  EXPECT_TRUE(progress.AllSent());
  EXPECT_EQ(progress.unsent_bytes(), 0);
}

TEST(StreamProgressTest, UpstreamRequestsAloneAreNewsButNotDoneUntilFinished) {
  StreamProgress progress(ProgressLimits{});
  progress.CountUpstream(1);
  EXPECT_TRUE(progress.HasNews());
  const v1::ArchiveProgress message = progress.Next(/*finished=*/false);
  EXPECT_EQ(message.upstream_requests(), 1);
  EXPECT_THAT(message.acknowledged(), IsEmpty());
  EXPECT_FALSE(message.done());
  EXPECT_FALSE(progress.HasNews());
}

TEST(StreamProgressTest, ErrorsAreSpreadOverMessagesWithinTheErrorLimit) {
  ProgressLimits limits;
  limits.max_message_errors = 2;
  StreamProgress progress(limits);
  progress.Read(5);
  progress.Finished(0, 0, 5, ErrorsOfSize(5));
  const int64_t held = progress.unsent_bytes();
  EXPECT_GT(held, 5 * StreamProgress::kEntryOverhead);

  std::vector<int> errors_per_message;
  std::vector<int64_t> acknowledged;
  bool done = false;
  while (!done) {
    const v1::ArchiveProgress message = progress.Next(/*finished=*/true);
    errors_per_message.push_back(message.errors_size());
    acknowledged.insert(acknowledged.end(), message.acknowledged().begin(),
                        message.acknowledged().end());
    EXPECT_THAT(message.error_positions(), ::testing::Each(0));
    done = message.done();
    // The request is acknowledged only with its last error.
    EXPECT_EQ(done, !message.acknowledged().empty());
    if (!done) EXPECT_LT(progress.unsent_bytes(), held);
  }
  EXPECT_THAT(errors_per_message, ElementsAre(2, 2, 1));
  EXPECT_THAT(acknowledged, ElementsAre(0));
  EXPECT_EQ(progress.unsent_bytes(), 0);
}

TEST(StreamProgressTest, MessagesStayWithinTheByteLimitButCarryAtLeastOneError) {
  ProgressLimits limits;
  limits.max_message_bytes = 1000;
  StreamProgress progress(limits);
  progress.Read(2);
  progress.Finished(0, 0, 1, ErrorsOfSize(1, 5000));  // Larger than a message alone.
  progress.Read(3);
  progress.Finished(1, 0, 3, ErrorsOfSize(3, 400));  // Two fit in one message.

  v1::ArchiveProgress message = progress.Next(true);
  EXPECT_EQ(message.errors_size(), 1);
  EXPECT_THAT(message.acknowledged(), ElementsAre(0));
  message = progress.Next(true);
  EXPECT_EQ(message.errors_size(), 2);
  EXPECT_THAT(message.acknowledged(), IsEmpty());
  message = progress.Next(true);
  EXPECT_EQ(message.errors_size(), 1);
  EXPECT_THAT(message.acknowledged(), ElementsAre(1));
  EXPECT_TRUE(message.done());
}

TEST(StreamProgressTest, AcknowledgementsPerMessageAreBounded) {
  ProgressLimits limits;
  limits.max_message_acknowledgements = 3;
  StreamProgress progress(limits);
  for (int i = 0; i < 7; ++i) progress.Finished(progress.Read(1), 1, 0, {});
  EXPECT_THAT(progress.Next(true).acknowledged(), ElementsAre(0, 1, 2));
  EXPECT_THAT(progress.Next(true).acknowledged(), ElementsAre(3, 4, 5));
  const v1::ArchiveProgress last = progress.Next(true);
  EXPECT_THAT(last.acknowledged(), ElementsAre(6));
  EXPECT_TRUE(last.done());
  EXPECT_EQ(last.inputs_archived(), 7);
}

}  // namespace
}  // namespace hubspot_gateway
