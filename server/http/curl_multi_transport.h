// HttpTransport over libcurl's multi interface: one event-loop thread drives
// every transfer with curl's socket API on epoll, so no thread blocks per
// request and each wakeup touches only the sockets that are ready (thousands
// of transfers in flight stay cheap); connections are reused and HTTP/2 is
// negotiated (and multiplexed) when an https upstream offers it.
// Thread-safe: Send() may be called from any thread, including a callback.
// One lock, mu_ (the queue handed to the event loop), a leaf: never held while
// curl runs or a callback runs. Callbacks run on the event-loop thread; after
// Shutdown(), Send's own callback runs at once on its caller's thread.
// Everything else is owned by the event-loop thread.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HTTP_CURL_MULTI_TRANSPORT_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HTTP_CURL_MULTI_TRANSPORT_H_

#include <curl/curl.h>
#include <sys/epoll.h>

#include <deque>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/http/http_transport.h"

namespace hubspot_gateway {

class CurlMultiTransport final : public HttpTransport {
 public:
  struct Options {
    // Connections kept open to one host, and transfers handed to curl at
    // once; further requests wait, in order, in the transport's own queue
    // (curl's pending list costs time per waiting transfer).
    long max_connections_per_host = 100;
    // An answer's body past this many bytes aborts the transfer: one broken
    // or hostile upstream cannot make the gateway buffer without bound.
    size_t max_response_bytes = 4 << 20;
    // The same for all of an answer's header lines together.
    size_t max_header_bytes = 64 << 10;
  };

  static absl::StatusOr<std::unique_ptr<CurlMultiTransport>> Create(Options options);

  // Calls Shutdown(), then joins the event loop.
  ~CurlMultiTransport() override;

  // Completes every queued or running request with CANCELLED (on the event
  // loop), and every later Send at once with CANCELLED.
  void Shutdown();

  void Send(HttpRequest request, Callback done) override;

  // One request's state; public only for curl's C callbacks in the .cc file.
  struct Transfer;

 private:
  CurlMultiTransport(CURLM* multi, int epoll_fd, int wakeup_fd, Options options);

  // curl's CURLMOPT_SOCKETFUNCTION and CURLMOPT_TIMERFUNCTION.
  static int OnSocket(CURL* easy, curl_socket_t socket, int what, void* self, void*);
  static int OnTimer(CURLM* multi, long timeout_ms, void* self);

  void RunEventLoop();
  // Lets curl act on ready sockets and expired timers (event-loop thread only).
  void DriveCurl(const struct epoll_event* events, int count);
  // Fails queued transfers past their deadline and adds queued transfers to
  // the multi handle while connections are free (event-loop thread only);
  // returns the earliest deadline still queued (InfiniteFuture when none).
  absl::Time StartQueuedTransfers();
  // Runs the callbacks of finished transfers (event-loop thread only).
  void CompleteFinishedTransfers();
  // Fails the transfers whose sockets could not be watched (event-loop thread only).
  void FailUnwatchedTransfers();
  // Takes the transfer running on `easy` off curl; nullptr when none does.
  std::unique_ptr<Transfer> Detach(CURL* easy);
  // Returns the transfer's easy handle to the idle pool and runs its callback.
  void Finish(std::unique_ptr<Transfer> transfer, absl::StatusOr<HttpResponse> result);
  CURL* AcquireEasyHandle();

  CURLM* const multi_;
  const size_t max_running_;
  const size_t max_body_bytes_;
  const size_t max_header_bytes_;
  const int epoll_fd_;
  // An eventfd that Send() and Shutdown() write to wake the event loop.
  const int wakeup_fd_;
  // When curl next wants a timeout action; InfiniteFuture when never.
  absl::Time curl_timer_ = absl::InfiniteFuture();
  absl::Mutex mu_;
  std::deque<std::unique_ptr<Transfer>> queued_ ABSL_GUARDED_BY(mu_);
  // The earliest deadline in queued_ (it may have left the queue since);
  // InfiniteFuture when none.
  absl::Time next_queued_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Owned by the event-loop thread.
  absl::flat_hash_map<CURL*, std::unique_ptr<Transfer>> running_;
  std::vector<CURL*> idle_easy_handles_;
  // Transfers whose socket epoll refused to watch, with the errno.
  std::vector<std::pair<CURL*, int>> unwatched_;
  std::thread event_loop_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HTTP_CURL_MULTI_TRANSPORT_H_
