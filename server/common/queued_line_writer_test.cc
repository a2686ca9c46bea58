#include "server/common/queued_line_writer.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::ElementsAre;

// A sink whose first write blocks until the test releases it, the way a
// write(2) to a stalled pipe would; records every line.
class StalledSink {
 public:
  QueuedLineWriter::WriteFn Fn() {
    return [this](absl::string_view line) {
      if (!entered_.HasBeenNotified()) entered_.Notify();  // Only this thread writes.
      release_.WaitForNotification();
      absl::MutexLock lock(&mu_);
      lines_.emplace_back(line);
    };
  }
  void WaitUntilStalled() { entered_.WaitForNotification(); }
  void Release() { release_.Notify(); }
  std::vector<std::string> lines() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

 private:
  absl::Notification entered_;
  absl::Notification release_;
  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

std::string Notice(int64_t dropped) { return absl::StrCat(dropped, " dropped"); }

TEST(QueuedLineWriterTest, WritesEveryLineInOrderAndFlushesAtTheEnd) {
  std::vector<std::string> written;
  {
    QueuedLineWriter writer(
        100, [&](absl::string_view line) { written.emplace_back(line); }, Notice);
    for (int i = 0; i < 50; ++i) writer.Write(absl::StrCat("line ", i));
    EXPECT_EQ(writer.dropped(), 0);
  }  // The destructor writes what is still queued.
  ASSERT_EQ(written.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(written[i], absl::StrCat("line ", i));
}

TEST(QueuedLineWriterTest, AFullQueueDropsAndCountsInsteadOfBlocking) {
  StalledSink sink;
  std::vector<std::string> lines;
  {
    QueuedLineWriter writer(3, sink.Fn(), Notice);
    writer.Write("first");  // Taken by the writer thread, which stalls on it.
    sink.WaitUntilStalled();
    for (const char* line : {"a", "b", "c"}) writer.Write(line);  // Fill the queue.
    // The sink is stalled and the queue full: each Write returns at once
    // (were it to block, this test would never get past here).
    for (int i = 0; i < 1000; ++i) writer.Write("lost");
    EXPECT_EQ(writer.dropped(), 1000);
    sink.Release();
  }
  // What was queued, then the count of what was not.
  EXPECT_THAT(sink.lines(), ElementsAre("first", "a", "b", "c", "1000 dropped"));
}

TEST(QueuedLineWriterTest, LinesAfterADropAreWrittenAfterItsNotice) {
  StalledSink sink;
  {
    QueuedLineWriter writer(1, sink.Fn(), Notice);
    writer.Write("first");
    sink.WaitUntilStalled();
    writer.Write("queued");
    writer.Write("lost");
    EXPECT_EQ(writer.dropped(), 1);
    sink.Release();
  }
  EXPECT_THAT(sink.lines(), ElementsAre("first", "queued", "1 dropped"));
}

}  // namespace
}  // namespace hubspot_gateway
