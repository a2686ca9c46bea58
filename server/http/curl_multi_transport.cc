#include "server/http/curl_multi_transport.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace hubspot_gateway {
namespace {

// How long the event loop sleeps when curl has nothing scheduled sooner.
constexpr int kMaxPollMillis = 1000;
// Ready sockets taken from epoll per wakeup.
constexpr int kMaxEvents = 256;

}  // namespace

struct CurlMultiTransport::Transfer {
  HttpRequest request;
  Callback done;
  // When it must have finished: Send()'s time plus the request's timeout,
  // so time spent waiting for a free connection counts against it too.
  absl::Time deadline;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {};
  // The caps on the answer, and whether it went past one (which aborts it).
  size_t max_body_bytes = 0;
  size_t max_header_bytes = 0;
  size_t header_bytes = 0;
  bool answer_too_large = false;

  ~Transfer() { curl_slist_free_all(header_list); }

  // Sets `easy` up for `request`, which must finish within `timeout`.
  absl::Status Configure(absl::Duration timeout);
  // Appends `line` ("Name: value") to `header_list`.
  absl::Status AddHeader(const std::string& line);
  // Why the answer was refused: its size and how it began.
  absl::Status TooLarge() const;
};

namespace {

// curl's CURLOPT_WRITEFUNCTION; returning less than given aborts the transfer.
size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<CurlMultiTransport::Transfer*>(user);
  std::string& body = transfer->response.body;
  if (body.size() + size * count > transfer->max_body_bytes) {
    transfer->answer_too_large = true;
    return 0;
  }
  body.append(data, size * count);
  return size * count;
}

// curl's CURLOPT_HEADERFUNCTION.
size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<CurlMultiTransport::Transfer*>(user);
  transfer->header_bytes += size * count;
  if (transfer->header_bytes > transfer->max_header_bytes) {
    transfer->answer_too_large = true;
    return 0;
  }
  HttpResponse* response = &transfer->response;
  absl::string_view line(data, size * count);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new status line (after 100 Continue or a redirect): start over.
    response->headers.clear();
    return line.size();
  }
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    response->headers.emplace_back(
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return line.size();
}

absl::Status TransferError(CURLcode code, const char* detail) {
  std::string message = absl::StrCat("upstream request failed: ", curl_easy_strerror(code));
  if (detail[0] != '\0') absl::StrAppend(&message, " (", detail, ")");
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(message);
  }
  return absl::UnavailableError(message);
}

// A curl_easy_setopt that failed: the request cannot be sent as asked.
absl::Status EasyOptionStatus(CURLcode code) {
  if (code == CURLE_OK) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("cannot configure the upstream request: ", curl_easy_strerror(code)));
}

}  // namespace

absl::Status CurlMultiTransport::Transfer::TooLarge() const {
  constexpr size_t kQuoted = 200;
  return absl::InternalError(
      absl::StrCat("the upstream answer exceeded the gateway's limit (", max_body_bytes,
                   " body bytes, ", max_header_bytes,
                   " header bytes; --max_upstream_response_bytes) and was dropped; "
                   "it began: \"",
                   absl::CHexEscape(absl::string_view(response.body).substr(0, kQuoted)), "\""));
}

absl::Status CurlMultiTransport::Transfer::AddHeader(const std::string& line) {
  curl_slist* appended = curl_slist_append(header_list, line.c_str());
  if (appended == nullptr) {
    return absl::ResourceExhaustedError("out of memory for the upstream request's headers");
  }
  header_list = appended;
  return absl::OkStatus();
}

absl::Status CurlMultiTransport::Transfer::Configure(absl::Duration timeout) {
  for (const auto& [name, value] : request.headers) {
    GATEWAY_RETURN_IF_ERROR(AddHeader(absl::StrCat(name, ": ", value)));
  }
  // Never wait for "100 Continue" before sending a body.
  GATEWAY_RETURN_IF_ERROR(AddHeader("Expect:"));
  // Of these options only those that copy a string can fail (out of memory,
  // or longer than curl's 8 MB limit); the others store a value in range.
  GATEWAY_RETURN_IF_ERROR(
      EasyOptionStatus(curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str())));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, header_list);
  if (request.method == "POST") {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
  } else if (request.method != "GET") {
    GATEWAY_RETURN_IF_ERROR(
        EasyOptionStatus(curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str())));
  }
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, std::max<long>(1, absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  // A preference: a libcurl without HTTP/2 refuses it and speaks HTTP/1.1.
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  // Over https, wait for a connection that may turn out to multiplex
  // (HTTP/2) rather than opening more; plain http is HTTP/1.1, where
  // waiting would only serialise requests behind connection setup.
  if (absl::StartsWith(request.url, "https://")) {
    curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
  }
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CurlMultiTransport>> CurlMultiTransport::Create(Options options) {
  static absl::once_flag global_init;
  static CURLcode global_init_result = CURLE_OK;
  absl::call_once(global_init, [] { global_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (global_init_result != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_global_init failed: ", curl_easy_strerror(global_init_result)));
  }
  CURLM* multi = curl_multi_init();
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  const int wakeup_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event wakeup = {};
  wakeup.events = EPOLLIN;
  wakeup.data.fd = wakeup_fd;
  if (multi == nullptr || epoll_fd < 0 || wakeup_fd < 0 ||
      epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wakeup_fd, &wakeup) != 0) {
    if (multi != nullptr) curl_multi_cleanup(multi);
    if (epoll_fd >= 0) close(epoll_fd);
    if (wakeup_fd >= 0) close(wakeup_fd);
    return absl::InternalError("cannot set up the HTTP event loop (curl, epoll or eventfd)");
  }
  // curl_multi_setopt only fails for a bad handle or an unknown option: these
  // options store a value, as do the callbacks the constructor sets.
  curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.max_connections_per_host);
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, options.max_connections_per_host);
  return std::unique_ptr<CurlMultiTransport>(
      new CurlMultiTransport(multi, epoll_fd, wakeup_fd, options));
}

CurlMultiTransport::CurlMultiTransport(CURLM* multi, int epoll_fd, int wakeup_fd, Options options)
    : multi_(multi),
      max_running_(static_cast<size_t>(options.max_connections_per_host)),
      max_body_bytes_(options.max_response_bytes),
      max_header_bytes_(options.max_header_bytes),
      epoll_fd_(epoll_fd),
      wakeup_fd_(wakeup_fd) {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMultiTransport::OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMultiTransport::OnTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  event_loop_ = std::thread([this] { RunEventLoop(); });
}

int CurlMultiTransport::OnSocket(CURL* easy, curl_socket_t socket, int what, void* self, void*) {
  auto* transport = static_cast<CurlMultiTransport*>(self);
  if (what == CURL_POLL_REMOVE) {
    // A failure leaves nothing to undo: the socket was never watched, or is
    // closed already (which unwatches it).
    epoll_ctl(transport->epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
    return 0;
  }
  epoll_event event = {};
  event.data.fd = socket;
  event.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
  int watched = epoll_ctl(transport->epoll_fd_, EPOLL_CTL_MOD, socket, &event);
  if (watched != 0 && errno == ENOENT) {
    watched = epoll_ctl(transport->epoll_fd_, EPOLL_CTL_ADD, socket, &event);
  }
  if (watched != 0) {
    // Unwatched, the transfer would only end at its timeout. It is failed once
    // curl returns: curl's functions may not be called from its callbacks.
    transport->unwatched_.emplace_back(easy, errno);
  }
  return 0;
}

int CurlMultiTransport::OnTimer(CURLM*, long timeout_ms, void* self) {
  auto* transport = static_cast<CurlMultiTransport*>(self);
  transport->curl_timer_ =
      timeout_ms < 0 ? absl::InfiniteFuture() : absl::Now() + absl::Milliseconds(timeout_ms);
  return 0;
}

CurlMultiTransport::~CurlMultiTransport() {
  Shutdown();
  event_loop_.join();
  for (CURL* easy : idle_easy_handles_) curl_easy_cleanup(easy);
  curl_multi_cleanup(multi_);
  close(epoll_fd_);
  close(wakeup_fd_);
}

void CurlMultiTransport::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  const uint64_t one = 1;
  (void)!write(wakeup_fd_, &one, sizeof(one));
}

void CurlMultiTransport::Send(HttpRequest request, Callback done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  transfer->done = std::move(done);
  transfer->deadline = absl::Now() + transfer->request.timeout;
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      next_queued_deadline_ = std::min(next_queued_deadline_, transfer->deadline);
      queued_.push_back(std::move(transfer));
    }
  }
  if (transfer != nullptr) {  // Not queued: the transport is shutting down.
    std::move(transfer->done)(absl::CancelledError("the gateway is shutting down"));
    return;
  }
  const uint64_t one = 1;
  (void)!write(wakeup_fd_, &one, sizeof(one));
}

CURL* CurlMultiTransport::AcquireEasyHandle() {
  if (idle_easy_handles_.empty()) return curl_easy_init();
  CURL* easy = idle_easy_handles_.back();
  idle_easy_handles_.pop_back();
  curl_easy_reset(easy);
  return easy;
}

absl::Time CurlMultiTransport::StartQueuedTransfers() {
  const absl::Time now = absl::Now();
  std::vector<std::unique_ptr<Transfer>> expired;
  std::vector<std::unique_ptr<Transfer>> batch;
  absl::Time next_deadline;
  {
    absl::MutexLock lock(&mu_);
    // A queued request whose time is up fails now, not when a connection
    // frees: with every connection held by a hanging upstream, that could be
    // many timeouts later (and a retry would queue behind the same wait).
    if (next_queued_deadline_ <= now) {
      next_queued_deadline_ = absl::InfiniteFuture();
      std::deque<std::unique_ptr<Transfer>> waiting;
      for (auto& transfer : queued_) {
        if (transfer->deadline <= now) {
          expired.push_back(std::move(transfer));
        } else {
          next_queued_deadline_ = std::min(next_queued_deadline_, transfer->deadline);
          waiting.push_back(std::move(transfer));
        }
      }
      queued_.swap(waiting);
    }
    while (!queued_.empty() && running_.size() + batch.size() < max_running_) {
      batch.push_back(std::move(queued_.front()));
      queued_.pop_front();
    }
    next_deadline = next_queued_deadline_;
  }
  for (auto& transfer : expired) {
    Finish(std::move(transfer),
           absl::DeadlineExceededError("upstream request timed out waiting for a free connection"));
  }
  for (auto& transfer : batch) {
    const absl::Duration remaining = transfer->deadline - now;
    transfer->max_body_bytes = max_body_bytes_;
    transfer->max_header_bytes = max_header_bytes_;
    transfer->easy = AcquireEasyHandle();
    if (transfer->easy == nullptr) {
      Finish(std::move(transfer), absl::ResourceExhaustedError("curl_easy_init failed"));
      continue;
    }
    if (absl::Status configured = transfer->Configure(remaining); !configured.ok()) {
      Finish(std::move(transfer), std::move(configured));
      continue;
    }
    CURL* easy = transfer->easy;
    if (const CURLMcode added = curl_multi_add_handle(multi_, easy); added != CURLM_OK) {
      Finish(std::move(transfer), absl::InternalError(absl::StrCat("curl_multi_add_handle failed: ",
                                                                   curl_multi_strerror(added))));
      continue;
    }
    running_.emplace(easy, std::move(transfer));
  }
  return next_deadline;
}

std::unique_ptr<CurlMultiTransport::Transfer> CurlMultiTransport::Detach(CURL* easy) {
  auto node = running_.extract(easy);
  if (node.empty()) return nullptr;
  curl_multi_remove_handle(multi_, easy);
  return std::move(node.mapped());
}

void CurlMultiTransport::Finish(std::unique_ptr<Transfer> transfer,
                                absl::StatusOr<HttpResponse> result) {
  if (transfer->easy != nullptr) idle_easy_handles_.push_back(transfer->easy);
  std::move(transfer->done)(std::move(result));
}

void CurlMultiTransport::CompleteFinishedTransfers() {
  int pending = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &pending)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    const CURLcode code = message->data.result;
    std::unique_ptr<Transfer> transfer = Detach(easy);

    absl::StatusOr<HttpResponse> result;
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      transfer->response.status_code = static_cast<int>(status);
      result = std::move(transfer->response);
    } else if (transfer->answer_too_large) {
      result = transfer->TooLarge();
    } else {
      result = TransferError(code, transfer->error);
    }
    Finish(std::move(transfer), std::move(result));
  }
}

void CurlMultiTransport::FailUnwatchedTransfers() {
  std::vector<std::pair<CURL*, int>> unwatched;
  unwatched.swap(unwatched_);
  for (const auto& [easy, error] : unwatched) {
    std::unique_ptr<Transfer> transfer = Detach(easy);
    if (transfer == nullptr) continue;  // Failed already, for another of its sockets.
    Finish(std::move(transfer),
           absl::UnavailableError(absl::StrCat("cannot watch the upstream connection: ",
                                               std::generic_category().message(error))));
  }
}

void CurlMultiTransport::DriveCurl(const epoll_event* events, int count) {
  // curl_multi_socket_action's failures need no action here: CURLM_BAD_SOCKET
  // means curl has let that socket go already, and a transfer that any other
  // failure leaves stuck still ends at its CURLOPT_TIMEOUT_MS.
  int still_running = 0;
  for (int i = 0; i < count; ++i) {
    if (events[i].data.fd == wakeup_fd_) {
      uint64_t drained = 0;
      (void)!read(wakeup_fd_, &drained, sizeof(drained));
      continue;
    }
    int flags = 0;
    if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) flags |= CURL_CSELECT_IN;
    if (events[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) flags |= CURL_CSELECT_OUT;
    if (events[i].events & EPOLLERR) flags |= CURL_CSELECT_ERR;
    curl_multi_socket_action(multi_, events[i].data.fd, flags, &still_running);
  }
  if (curl_timer_ <= absl::Now()) {
    curl_timer_ = absl::InfiniteFuture();
    curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &still_running);
  }
}

void CurlMultiTransport::RunEventLoop() {
  epoll_event events[kMaxEvents];
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    const absl::Time wake_at = std::min(curl_timer_, StartQueuedTransfers());
    // Until curl's timer or a queued request's deadline (rounded up), at most
    // kMaxPollMillis.
    const absl::Duration until_timer =
        std::clamp(wake_at - absl::Now(), absl::ZeroDuration(), absl::Milliseconds(kMaxPollMillis));
    const int wait_ms =
        static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(until_timer, absl::Milliseconds(1))));
    const int count = epoll_wait(epoll_fd_, events, kMaxEvents, wait_ms);
    DriveCurl(events, std::max(count, 0));
    CompleteFinishedTransfers();
    FailUnwatchedTransfers();
  }
  // Shutting down: nothing new is queued after stopping_ was set.
  for (auto& [easy, transfer] : running_) {
    curl_multi_remove_handle(multi_, easy);
    Finish(std::move(transfer), absl::CancelledError("the gateway is shutting down"));
  }
  running_.clear();
  std::deque<std::unique_ptr<Transfer>> queued;
  {
    absl::MutexLock lock(&mu_);
    queued.swap(queued_);
  }
  for (auto& transfer : queued) {
    std::move(transfer->done)(absl::CancelledError("the gateway is shutting down"));
  }
}

}  // namespace hubspot_gateway
