// QueuedHttpTransport holds each request until the test answers it, so tests
// can see how many are outstanding at once and release them in any order.
// Thread-safe; callbacks run on the answering thread, outside the fake's lock.
//
//   QueuedHttpTransport transport;
//   ... start something that sends ...
//   ASSERT_TRUE(transport.WaitForPending(2, absl::Seconds(10)));
//   transport.AnswerNext(QueuedHttpTransport::Response(204));
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_QUEUED_HTTP_TRANSPORT_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_QUEUED_HTTP_TRANSPORT_H_

#include <algorithm>
#include <deque>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/http/http_transport.h"

namespace hubspot_gateway {

class QueuedHttpTransport final : public HttpTransport {
 public:
  // An HTTP answer with `status` and no body.
  static HttpResponse Response(int status) {
    HttpResponse response;
    response.status_code = status;
    return response;
  }

  // Queues the request; after Shutdown(), answers it at once with CANCELLED.
  void Send(HttpRequest request, Callback done) override {
    {
      absl::MutexLock lock(&mu_);
      if (!shut_down_) {
        ++sent_;
        pending_.push_back(Exchange{std::move(request), std::move(done)});
        max_outstanding_ = std::max(max_outstanding_, static_cast<int>(pending_.size()));
        return;
      }
    }
    std::move(done)(absl::CancelledError("the fake transport is shut down"));
  }

  // Copies of the requests waiting for an answer, oldest first.
  std::vector<HttpRequest> pending() {
    absl::MutexLock lock(&mu_);
    std::vector<HttpRequest> requests;
    for (const Exchange& exchange : pending_) requests.push_back(exchange.request);
    return requests;
  }

  int pending_count() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(pending_.size());
  }

  // Requests ever queued (answered or not).
  int sent() {
    absl::MutexLock lock(&mu_);
    return sent_;
  }

  // The most requests that were waiting for an answer at the same time.
  int max_outstanding() {
    absl::MutexLock lock(&mu_);
    return max_outstanding_;
  }

  // Waits until at least `count` requests are pending; false if `timeout`
  // passes first.
  bool WaitForPending(int count, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return static_cast<int>(pending_.size()) >= count;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

  // Answers the pending request at `index` (0 is the oldest) with `answer`,
  // running its callback on this thread; false when there is no such request.
  bool Answer(size_t index, absl::StatusOr<HttpResponse> answer) {
    Callback done;
    {
      absl::MutexLock lock(&mu_);
      if (index >= pending_.size()) return false;
      done = std::move(pending_[index].done);
      pending_.erase(pending_.begin() + index);
    }
    std::move(done)(std::move(answer));
    return true;
  }

  bool AnswerNext(absl::StatusOr<HttpResponse> answer) { return Answer(0, std::move(answer)); }

  // Answers every request pending now (not those their callbacks send) with
  // `answer`; returns how many.
  int AnswerAll(const absl::StatusOr<HttpResponse>& answer) {
    std::deque<Exchange> taken;
    {
      absl::MutexLock lock(&mu_);
      taken.swap(pending_);
    }
    for (Exchange& exchange : taken) std::move(exchange.done)(answer);
    return static_cast<int>(taken.size());
  }

  // Answers every pending request and every later one with CANCELLED, as
  // the real transport does when it shuts down, so nothing waits on it.
  void Shutdown() {
    {
      absl::MutexLock lock(&mu_);
      shut_down_ = true;
    }
    AnswerAll(absl::CancelledError("the fake transport is shut down"));
  }

 private:
  struct Exchange {
    HttpRequest request;
    Callback done;
  };

  absl::Mutex mu_;
  std::deque<Exchange> pending_ ABSL_GUARDED_BY(mu_);
  int sent_ ABSL_GUARDED_BY(mu_) = 0;
  int max_outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_FAKES_QUEUED_HTTP_TRANSPORT_H_
