// Hostile peers on both sides, end to end: the real gateway process against a
// misbehaving upstream (an HTTP server in this test) and hostile gRPC or HTTP
// clients. For each, the gateway stays alive, the call ends with a clean
// status, its memory stays bounded (peak RSS from /proc) and the next normal
// call succeeds. SECURITY.md lists the attempts and the bounds.
#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/process_stats.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hubspot/crm/associations/v1/associations_archive.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/testing/archive_calls.h"
#include "tests/testing/polling.h"
#include "tests/testing/stack.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::hubspot_gateway::testing::Archive;
using ::hubspot_gateway::testing::ArchiveOutcome;
using ::hubspot_gateway::testing::GatewayMetric;
using ::hubspot_gateway::testing::kSimulatorToken;
using ::hubspot_gateway::testing::ScrapeMetrics;
using ::hubspot_gateway::testing::SequentialRequest;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::StartStack;
using ::hubspot_gateway::testing::WaitUntil;
using ::testing::HasSubstr;
using ::testing::Not;

// Generous: the gateway idles at about 30 MB.
constexpr int64_t kRssBoundKib = 300 << 10;

// An upstream that answers batch/archive as the test says: the hostile
// answer under test, or a plain 204 once the test calls Behave().
class MisbehavingUpstream {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  MisbehavingUpstream() {
    server_.Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
      received_.fetch_add(1);
      Handler handler;
      {
        absl::MutexLock lock(&mu_);
        handler = handler_;
      }
      if (handler) {
        handler(request, response);
      } else {
        response.status = 204;
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }

  ~MisbehavingUpstream() {
    Release();
    server_.stop();
    thread_.join();
  }

  void Misbehave(Handler handler) {
    absl::MutexLock lock(&mu_);
    handler_ = std::move(handler);
  }
  void Behave() { Misbehave(nullptr); }

  // Holds the request until Release() (or the server stops).
  void HoldEveryRequest() {
    Misbehave([this](const httplib::Request&, httplib::Response& response) {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&released_));
      response.status = 204;
    });
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }

  std::string base_url_flag() const {
    return absl::StrCat("--hubspot_base_url=http://127.0.0.1:", port_);
  }
  int received() const { return received_.load(); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> received_{0};
  absl::Mutex mu_;
  Handler handler_ ABSL_GUARDED_BY(mu_);
  bool released_ ABSL_GUARDED_BY(mu_) = false;
};

// The gateway, started against `upstream` with `flags` (and metrics on).
std::unique_ptr<Stack> StartGatewayAgainst(const MisbehavingUpstream& upstream,
                                           std::vector<std::string> flags) {
  flags.push_back(upstream.base_url_flag());
  flags.push_back("--metrics_listen=127.0.0.1:0");
  StackOptions options;
  options.gateway_flags = std::move(flags);
  return StartStack(options);
}

int64_t PeakRssKib(Stack& stack) {
  return bench::ReadProcessStats(stack.gateway().pid()).peak_rss_kib;
}

// The gateway is alive and serves a normal call once the upstream behaves.
void ExpectStillServes(Stack& stack, MisbehavingUpstream& upstream) {
  upstream.Behave();
  const ArchiveOutcome call = Archive(stack, SequentialRequest(1, 1, 1000), absl::Seconds(30));
  EXPECT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_TRUE(stack.gateway().Running());
  const int64_t peak_rss_kib = PeakRssKib(stack);
  EXPECT_LT(peak_rss_kib, kRssBoundKib);
  // For SECURITY.md's table.
  std::cout << "gateway peak RSS: " << peak_rss_kib / 1024.0 << " MiB" << std::endl;
  EXPECT_THAT(stack.AllOutput(), Not(HasSubstr(kSimulatorToken)));
}

TEST(HostilePeersTest, EndlessUpstreamBodyFailsTheCallWithoutBufferingIt) {
  MisbehavingUpstream upstream;
  upstream.Misbehave([](const httplib::Request&, httplib::Response& response) {
    response.set_chunked_content_provider("application/json", [](size_t, httplib::DataSink& sink) {
      const std::string chunk(64 << 10, 'z');
      return sink.write(chunk.data(), chunk.size());
    });
  });
  auto stack = StartGatewayAgainst(upstream, {"--max_attempts=1"});
  ASSERT_NE(stack, nullptr);
  const ArchiveOutcome call = Archive(*stack, SequentialRequest(1, 1, 1000), absl::Seconds(30));
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(call.status.error_message(), HasSubstr("--max_upstream_response_bytes"));
  ExpectStillServes(*stack, upstream);
}

TEST(HostilePeersTest, AbsurdRateLimitHeadersAndRetryAfterAreClamped) {
  MisbehavingUpstream upstream;
  // A limit of two billion with nothing remaining, then a 429 asking for a
  // wait of 31 years.
  upstream.Misbehave([](const httplib::Request&, httplib::Response& response) {
    response.set_header("X-HubSpot-RateLimit-Max", "2000000000");
    response.set_header("X-HubSpot-RateLimit-Remaining", "0");
    response.set_header("X-HubSpot-RateLimit-Interval-Milliseconds", "1000");
    response.status = 204;
  });
  auto stack = StartGatewayAgainst(
      upstream, {"--max_retry_after=2s", "--max_attempts=2", "--initial_backoff=10ms"});
  ASSERT_NE(stack, nullptr);
  for (int i = 0; i < 3; ++i) {
    const ArchiveOutcome call =
        Archive(*stack, SequentialRequest(10 * i + 1, 1, 1000), absl::Seconds(30));
    EXPECT_TRUE(call.status.ok()) << call.status.error_message();
  }
  upstream.Misbehave([](const httplib::Request&, httplib::Response& response) {
    response.set_header("Retry-After", "999999999");
    response.set_content(R"({"status":"error","message":"slow down","errorType":"RATE_LIMIT",)"
                         R"("policyName":"TEN_SECONDLY_ROLLING","category":"RATE_LIMITS"})",
                         "application/json");
    response.status = 429;
  });
  const ArchiveOutcome limited =
      Archive(*stack, SequentialRequest(100, 1, 1000), absl::Seconds(30));
  EXPECT_EQ(limited.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << limited.status.error_message();
  EXPECT_EQ(GatewayMetric(*stack, "gateway_upstream_pauses_capped_total"), 2);  // Both attempts.
  // The pause is the clamped one: once HubSpot behaves the token serves again
  // within the call's deadline.
  ExpectStillServes(*stack, upstream);
}

TEST(HostilePeersTest, HugeErrorAnswersStayReadableByADefaultClient) {
  MisbehavingUpstream upstream;
  upstream.Misbehave([](const httplib::Request&, httplib::Response& response) {
    nlohmann::json body = {{"status", "error"},
                           {"category", "VALIDATION_ERROR"},
                           {"message", std::string(1 << 20, 'm')},
                           {"correlationId", "c-1"}};
    for (int i = 0; i < 100; ++i) {
      body["errors"].push_back({{"message", std::string(100, 'e')},
                                {"code", "INVALID"},
                                {"context", {{"ids", {std::to_string(i)}}}}});
    }
    response.set_content(body.dump(), "application/json");
    response.status = 400;
  });
  auto stack = StartGatewayAgainst(upstream, {});
  ASSERT_NE(stack, nullptr);
  // The stub has gRPC's default limits (8 KiB of metadata): it reads the
  // gateway's answer instead of failing on its size.
  const ArchiveOutcome call = Archive(*stack, SequentialRequest(1, 1, 1000), absl::Seconds(30));
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << call.status.error_message().substr(0, 200);
  // On the wire: the message, and the details in base64 (a -bin header).
  const size_t details_on_the_wire = (call.status.error_details().size() + 2) / 3 * 4;
  EXPECT_LT(call.status.error_message().size() + details_on_the_wire, 8192u);
  ASSERT_TRUE(call.upstream().has_value());
  EXPECT_EQ(call.upstream()->correlation_id(), "c-1");
  ExpectStillServes(*stack, upstream);
}

TEST(HostilePeersTest, HangingUpstreamAttemptsEndWithinTheirTimeout) {
  MisbehavingUpstream upstream;
  upstream.HoldEveryRequest();
  // Two connections for 20 full requests: most attempts wait for a
  // connection that a hanging request holds. Each must still end at its own
  // timeout, so every call ends with the gateway's answer (its UpstreamError
  // counts the attempts) well inside the caller's deadline.
  auto stack = StartGatewayAgainst(
      upstream, {"--upstream_timeout=1s", "--max_attempts=2", "--initial_backoff=10ms",
                 "--max_backoff=10ms", "--max_upstream_connections=2", "--rate_limit_per_10s=0"});
  ASSERT_NE(stack, nullptr);
  constexpr int kCalls = 20;
  std::vector<ArchiveOutcome> outcomes(kCalls);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&, i] {
      outcomes[i] =
          Archive(*stack, SequentialRequest(1000 * i + 1, 100, 500000), absl::Seconds(15));
    });
  }
  for (std::thread& caller : callers) caller.join();
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(outcomes[i].status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << i;
    ASSERT_TRUE(outcomes[i].upstream().has_value())
        << "call " << i
        << " ended by the caller's deadline: " << outcomes[i].status.error_message();
    EXPECT_EQ(outcomes[i].upstream()->attempts(), 2) << i;
  }
  upstream.Release();
  ExpectStillServes(*stack, upstream);
}

// Idle bulk streams opened on `connections` connections of their own,
// `per_connection` each, every one on a thread that waits for the stream's
// end; the destructor cancels those still open.
class IdleStreams {
 public:
  IdleStreams(int port, int connections, int per_connection) {
    const std::string target = absl::StrCat("127.0.0.1:", port);
    for (int connection = 0; connection < connections; ++connection) {
      grpc::ChannelArguments arguments;
      arguments.SetInt("hostile_test_connection", connection);  // Not shared with others.
      std::shared_ptr<v1::AssociationsArchive::Stub> stub = v1::AssociationsArchive::NewStub(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments));
      for (int i = 0; i < per_connection; ++i) {
        contexts_.push_back(std::make_unique<grpc::ClientContext>());
        grpc::ClientContext* context = contexts_.back().get();
        // Creating a stream blocks while its connection has no stream free.
        threads_.emplace_back([this, stub, context] {
          auto stream = stub->ArchiveAssociationsStream(context);
          v1::ArchiveProgress progress;
          while (stream->Read(&progress)) {
          }
          if (stream->Finish().error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
            refused_.fetch_add(1);
          }
        });
      }
    }
  }
  ~IdleStreams() {
    for (auto& context : contexts_) context->TryCancel();
    for (std::thread& thread : threads_) thread.join();
  }
  int refused() const { return refused_.load(); }

 private:
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts_;
  std::vector<std::thread> threads_;
  std::atomic<int> refused_{0};
};

TEST(HostilePeersTest, OneConnectionCarriesAtMostItsShareOfStreams) {
  MisbehavingUpstream upstream;
  auto stack = StartGatewayAgainst(upstream, {"--max_streams_per_connection=20"});
  ASSERT_NE(stack, nullptr);
  {
    IdleStreams streams(stack->gateway_port(), /*connections=*/2, /*per_connection=*/30);
    ASSERT_TRUE(WaitUntil([&] { return GatewayMetric(*stack, "gateway_in_flight_calls") >= 40; },
                          absl::Seconds(30)));
    // A call on another connection is served, and by then the streams waiting
    // in their clients have not reached the gateway.
    const ArchiveOutcome call = Archive(*stack, SequentialRequest(1, 1, 1000), absl::Seconds(30));
    EXPECT_TRUE(call.status.ok()) << call.status.error_message();
    EXPECT_EQ(GatewayMetric(*stack, "gateway_in_flight_calls"), 40);
    EXPECT_EQ(streams.refused(), 0);
  }
  ExpectStillServes(*stack, upstream);
}

TEST(HostilePeersTest, OneCallerCannotTakeEveryCallSlotWithIdleStreams) {
  MisbehavingUpstream upstream;
  auto stack =
      StartGatewayAgainst(upstream, {"--max_in_flight_calls=100", "--max_streams_per_caller=40"});
  ASSERT_NE(stack, nullptr);
  {
    IdleStreams streams(stack->gateway_port(), /*connections=*/3, /*per_connection=*/20);
    ASSERT_TRUE(WaitUntil([&] { return streams.refused() == 20; }, absl::Seconds(30)));
    // A refused stream leaves the count once gRPC is done with it on the
    // gateway's side, a moment after its caller has the status.
    EXPECT_TRUE(WaitUntil([&] { return GatewayMetric(*stack, "gateway_in_flight_calls") == 40; },
                          absl::Seconds(30)));
    // Calls still find a slot.
    const ArchiveOutcome call = Archive(*stack, SequentialRequest(1, 1, 1000), absl::Seconds(30));
    EXPECT_TRUE(call.status.ok()) << call.status.error_message();
  }
  ExpectStillServes(*stack, upstream);
}

// A TCP connection to 127.0.0.1:`port` that sends `bytes` and then nothing.
int ConnectAndSend(int port, const std::string& bytes) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  if (!bytes.empty()) (void)!write(fd, bytes.data(), bytes.size());
  return fd;
}

TEST(HostilePeersTest, IdleAndSlowlorisConnectionsDoNotBlockMetricsScrapes) {
  MisbehavingUpstream upstream;
  auto stack = StartGatewayAgainst(upstream, {});
  ASSERT_NE(stack, nullptr);
  const std::string output = stack->gateway().Output();
  const size_t at = output.find("metrics on port ");
  ASSERT_NE(at, std::string::npos);
  const int port = std::atoi(output.c_str() + at + strlen("metrics on port "));
  std::vector<int> hostile;
  for (int i = 0; i < 16; ++i) {
    // Half send nothing; half start a request and never finish it.
    hostile.push_back(ConnectAndSend(port, i % 2 == 0 ? "" : "GET /metrics HTTP/1.1\r\nHost: x"));
  }
  // Scrapes keep working while the hostile connections stay open.
  for (int scrape = 0; scrape < 3; ++scrape) {
    EXPECT_THAT(ScrapeMetrics(*stack), HasSubstr("gateway_in_flight_calls")) << scrape;
  }
  for (int fd : hostile) {
    if (fd >= 0) close(fd);
  }
  ExpectStillServes(*stack, upstream);
}

TEST(HostilePeersTest, UndecodableUnaryRequestIsInvalidArgumentLoggedAndCounted) {
  MisbehavingUpstream upstream;
  auto stack = StartGatewayAgainst(upstream, {});
  ASSERT_NE(stack, nullptr);
  grpc::GenericStub generic(grpc::CreateChannel(absl::StrCat("127.0.0.1:", stack->gateway_port()),
                                                grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  const std::string not_utf8 = {'\x0a', '\x02', '\xff', '\xfe'};
  grpc::Slice slice(not_utf8);
  const grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  absl::Mutex mu;
  bool finished = false;
  grpc::Status status;
  generic.UnaryCall(&context,
                    "/hubspot.crm.associations.v1.AssociationsArchive/ArchiveAssociations",
                    grpc::StubOptions(), &request, &response, [&](grpc::Status result) {
                      absl::MutexLock lock(&mu);
                      status = std::move(result);
                      finished = true;
                    });
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&finished));
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(stack->gateway().Output(),
              HasSubstr("undecodable request: method=ArchiveAssociations peer=ipv4:127.0.0.1:"));
  EXPECT_EQ(
      GatewayMetric(*stack, "gateway_undecodable_requests_total{method=\"ArchiveAssociations\"}"),
      1);
  EXPECT_EQ(upstream.received(), 0);
  ExpectStillServes(*stack, upstream);
}

}  // namespace
}  // namespace hubspot_gateway
