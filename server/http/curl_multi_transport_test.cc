#include "server/http/curl_multi_transport.h"

#include <httplib.h>
#include <time.h>

#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

// A real HTTP server on a loopback port, run on its own thread.
class LocalServer {
 public:
  LocalServer() {
    server_.Post("/echo", [](const httplib::Request& request, httplib::Response& response) {
      response.set_header("X-Seen-Authorization", request.get_header_value("Authorization"));
      response.set_content(request.body, "application/json");
      response.status = 207;
    });
    server_.Post("/slow", [this](const httplib::Request&, httplib::Response& response) {
      {
        absl::MutexLock lock(&mu_);
        slow_request_arrived_ = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // The slowness under test.
      response.status = 204;
    });
    server_.Post("/held", [this](const httplib::Request&, httplib::Response& response) {
      absl::MutexLock lock(&mu_);
      held_request_arrived_ = true;
      mu_.Await(absl::Condition(&release_held_));
      response.status = 204;
    });
    server_.Post("/huge", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(std::string(1 << 20, 'x'), "text/html");
    });
    server_.Post("/endless", [](const httplib::Request&, httplib::Response& response) {
      // A chunked body that never ends, as a broken proxy might send.
      response.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
        const std::string chunk(64 << 10, 'z');
        return sink.write(chunk.data(), chunk.size());
      });
    });
    server_.Post("/many_headers", [](const httplib::Request&, httplib::Response& response) {
      for (int i = 0; i < 2000; ++i) {
        response.set_header("X-Filler-" + std::to_string(i), std::string(64, 'h'));
      }
      response.status = 204;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    // Bound already: connections wait in the backlog until the loop runs.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~LocalServer() {
    ReleaseHeldRequests();
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Waits until a request to /held has arrived; false if `timeout` passes first.
  bool WaitForHeldRequest(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&held_request_arrived_), timeout);
  }

  // Lets requests to /held (held until now) be answered 204.
  void ReleaseHeldRequests() {
    absl::MutexLock lock(&mu_);
    release_held_ = true;
  }

  // Waits until a request to /slow has arrived; false if `timeout` passes first.
  bool WaitForSlowRequest(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&slow_request_arrived_), timeout);
  }

 private:
  absl::Mutex mu_;
  bool slow_request_arrived_ ABSL_GUARDED_BY(mu_) = false;
  bool held_request_arrived_ ABSL_GUARDED_BY(mu_) = false;
  bool release_held_ ABSL_GUARDED_BY(mu_) = false;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

absl::StatusOr<HttpResponse> SendAndWait(HttpTransport& transport, HttpRequest request) {
  absl::Notification done;
  absl::StatusOr<HttpResponse> result;
  transport.Send(std::move(request), [&](absl::StatusOr<HttpResponse> response) {
    result = std::move(response);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

std::unique_ptr<CurlMultiTransport> MakeTransport() {
  auto transport = CurlMultiTransport::Create({4});
  EXPECT_TRUE(transport.ok());
  return *std::move(transport);
}

TEST(CurlMultiTransportTest, PostsTheBodyAndHeadersAndReturnsAnyStatus) {
  LocalServer server;
  auto transport = MakeTransport();
  HttpRequest request;
  request.url = server.Url("/echo");
  request.headers = {{"Authorization", "Bearer abc"}, {"Content-Type", "application/json"}};
  request.body = R"({"inputs":[]})";
  const auto response = SendAndWait(*transport, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status_code, 207);
  EXPECT_EQ(response->body, R"({"inputs":[]})");
  EXPECT_EQ(response->Header("x-seen-authorization"), "Bearer abc");
  EXPECT_EQ(response->Header("X-SEEN-AUTHORIZATION"), "Bearer abc");
}

TEST(CurlMultiTransportTest, ManyRequestsBeyondTheConnectionLimitAllComplete) {
  LocalServer server;
  auto transport = MakeTransport();  // 4 at once; the rest wait in order.
  absl::Mutex mu;
  int ok = 0;
  int finished = 0;
  absl::Notification all_done;
  constexpr int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) {
    HttpRequest request;
    request.url = server.Url("/echo");
    request.body = std::to_string(i);
    transport->Send(std::move(request), [&](absl::StatusOr<HttpResponse> response) {
      absl::MutexLock lock(&mu);
      ok += response.ok() && response->status_code == 207;
      if (++finished == kRequests) all_done.Notify();
    });
  }
  all_done.WaitForNotification();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(ok, kRequests);
}

TEST(CurlMultiTransportTest, TimeoutIsDeadlineExceeded) {
  LocalServer server;
  auto transport = MakeTransport();
  HttpRequest request;
  request.url = server.Url("/slow");
  request.timeout = absl::Milliseconds(200);
  EXPECT_EQ(SendAndWait(*transport, request).status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(CurlMultiTransportTest, QueuedRequestFailsAtItsDeadlineWhileEveryConnectionIsHeld) {
  LocalServer server;
  auto transport = CurlMultiTransport::Create({1});  // One connection.
  ASSERT_TRUE(transport.ok());
  absl::Notification held_done;
  absl::StatusOr<HttpResponse> held_result;
  HttpRequest held;
  held.url = server.Url("/held");
  held.timeout = absl::Seconds(60);
  (*transport)->Send(held, [&](absl::StatusOr<HttpResponse> response) {
    held_result = std::move(response);
    held_done.Notify();
  });
  ASSERT_TRUE(server.WaitForHeldRequest(absl::Seconds(20)));

  // Queued behind the held request, with a short timeout: it fails at its own
  // deadline, while the held request still has the only connection.
  HttpRequest queued;
  queued.url = server.Url("/echo");
  queued.timeout = absl::Milliseconds(100);
  const auto failed = SendAndWait(**transport, queued);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(failed.status().message()),
              testing::HasSubstr("waiting for a free connection"));
  EXPECT_FALSE(held_done.HasBeenNotified());

  server.ReleaseHeldRequests();
  held_done.WaitForNotification();
  ASSERT_TRUE(held_result.ok()) << held_result.status();
  EXPECT_EQ(held_result->status_code, 204);
}

TEST(CurlMultiTransportTest, RefusedConnectionIsUnavailable) {
  auto transport = MakeTransport();
  HttpRequest request;
  request.url = "http://127.0.0.1:1/nothing-listens-here";
  EXPECT_EQ(SendAndWait(*transport, request).status().code(), absl::StatusCode::kUnavailable);
}

TEST(CurlMultiTransportTest, RequestCurlRefusesFailsAtOnceAndTheNextOneWorks) {
  LocalServer server;
  auto transport = MakeTransport();
  HttpRequest refused;
  // Over curl's 8 MB limit for a string option: curl_easy_setopt fails.
  refused.url = server.Url("/echo?") + std::string(9'000'000, 'a');
  refused.timeout = absl::Seconds(60);
  const absl::Time start = absl::Now();
  const auto failed = SendAndWait(*transport, refused);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(failed.status().message()),
              testing::HasSubstr("cannot configure the upstream request"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));

  HttpRequest request;  // On the same (recycled) easy handle.
  request.url = server.Url("/echo");
  request.body = "ok";
  const auto response = SendAndWait(*transport, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "ok");
}

TEST(CurlMultiTransportTest, ShutdownCancelsRunningAndLaterRequests) {
  LocalServer server;
  auto transport = MakeTransport();
  absl::Notification cancelled;
  HttpRequest slow;
  slow.url = server.Url("/slow");
  transport->Send(slow, [&](absl::StatusOr<HttpResponse> response) {
    EXPECT_EQ(response.status().code(), absl::StatusCode::kCancelled);
    cancelled.Notify();
  });
  // Shut down while the server holds the request.
  EXPECT_TRUE(server.WaitForSlowRequest(absl::Seconds(20)));
  transport->Shutdown();
  cancelled.WaitForNotification();
  EXPECT_EQ(SendAndWait(*transport, slow).status().code(), absl::StatusCode::kCancelled);
}

TEST(CurlMultiTransportTest, IdleEventLoopDoesNotSpin) {
  auto transport = MakeTransport();
  timespec before, after;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &before);
  absl::SleepFor(absl::Milliseconds(500));
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &after);
  const double cpu_seconds =
      (after.tv_sec - before.tv_sec) + (after.tv_nsec - before.tv_nsec) / 1e9;
  // A busy loop would burn about 0.5 s here; an idle one next to nothing.
  EXPECT_LT(cpu_seconds, 0.1);
}

TEST(CurlMultiTransportTest, AnswersPastTheCapFailCleanlyWithoutBufferingThem) {
  LocalServer server;
  CurlMultiTransport::Options options;
  options.max_response_bytes = 64 << 10;
  auto transport = CurlMultiTransport::Create(options);
  ASSERT_TRUE(transport.ok()) << transport.status();
  for (const char* path : {"/huge", "/endless", "/many_headers"}) {
    HttpRequest request;
    request.url = server.Url(path);
    request.timeout = absl::Seconds(30);
    const absl::StatusOr<HttpResponse> answer = SendAndWait(**transport, request);
    ASSERT_EQ(answer.status().code(), absl::StatusCode::kInternal) << path;
    EXPECT_THAT(answer.status().message(), testing::HasSubstr("exceeded the gateway's limit"));
  }
  HttpRequest huge;
  huge.url = server.Url("/huge");
  const absl::StatusOr<HttpResponse> quoted = SendAndWait(**transport, huge);
  EXPECT_THAT(quoted.status().message(), testing::HasSubstr("it began: \"xxxx"));
  // The transport still serves.
  HttpRequest echo;
  echo.url = server.Url("/echo");
  echo.body = "{}";
  EXPECT_TRUE(SendAndWait(**transport, echo).ok());
}

}  // namespace
}  // namespace hubspot_gateway
