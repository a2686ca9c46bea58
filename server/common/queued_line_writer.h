// QueuedLineWriter takes lines from any thread without blocking it and
// writes them, in order, on a thread of its own: a thread that must not
// block (curl's event loop, a gRPC reaction) can log. The queue is bounded:
// a line that finds it full is dropped and counted, and the writer reports
// the count (as a line of its own, from `drop_notice`) once it catches up.
// The destructor writes every queued line before it returns (the flush at
// shutdown).
//
// The writer takes every queued line at once. After writing them it gathers
// for up to kGatherTime (or until the queue is half full, or destruction)
// before it takes the next lines, so under load it wakes once per batch, not
// once per line: a wake-up per line cost the gateway a context switch per
// call (BENCHMARKS.md §2). A line is written at most about kGatherTime after
// a busy writer would have written it.
//
// Thread-safe. Write and dropped() may be called from any thread; `write`
// and `drop_notice` run on the writer thread, one line at a time, without
// the queue's lock held.
//
//   QueuedLineWriter log(10000, WriteToStderr, DropNotice);
//   log.Write("call method=... code=OK");  // returns at once
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_QUEUED_LINE_WRITER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_QUEUED_LINE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace hubspot_gateway {

class QueuedLineWriter {
 public:
  using WriteFn = absl::AnyInvocable<void(absl::string_view line)>;
  // The line reporting `dropped` lines lost since the previous report.
  using DropNoticeFn = absl::AnyInvocable<std::string(int64_t dropped)>;

  // Holds at most `capacity` (>= 1) lines waiting for `write`.
  QueuedLineWriter(size_t capacity, WriteFn write, DropNoticeFn drop_notice);
  // Writes what is queued (and a last drop notice), then stops the thread.
  ~QueuedLineWriter();
  QueuedLineWriter(const QueuedLineWriter&) = delete;
  QueuedLineWriter& operator=(const QueuedLineWriter&) = delete;

  // How long the writer waits for more lines after writing a batch.
  static constexpr absl::Duration kGatherTime = absl::Milliseconds(2);

  // Queues `line`; never blocks. Drops it (counted) when the queue is full.
  void Write(std::string line);

  // Lines dropped since the writer started.
  int64_t dropped() const;

 private:
  void Run();
  // Whether the writer should stop gathering and take the queued lines.
  bool GatheringDone() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t capacity_;
  WriteFn write_;
  DropNoticeFn drop_notice_;
  mutable absl::Mutex mu_;
  absl::CondVar wake_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  // Of dropped_, those not yet reported by a drop notice.
  int64_t unreported_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Last: starts once everything it uses is constructed.
  std::thread thread_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_QUEUED_LINE_WRITER_H_
