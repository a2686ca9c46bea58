// Closed-loop load generator: keeps --concurrency archive calls in flight
// until --calls have finished, then prints throughput, latency percentiles and
// the measured process's CPU per 1,000 calls, peak RSS and thread count.
//   --mode=grpc   calls the gateway over gRPC (callback API)
//   --mode=direct posts the same JSON straight to HubSpot (or the simulator)
//                 with libcurl's multi interface: the ceiling without a gateway
#include <grpcpp/grpcpp.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/latency_report.h"
#include "bench/process_stats.h"
#include "hubspot/crm/associations/v1/associations_archive.grpc.pb.h"
#include "server/http/curl_multi_transport.h"
#include "server/hubspot/archive_slice.h"
#include "server/hubspot/hubspot_json.h"

ABSL_FLAG(std::string, mode, "grpc", "grpc (through the gateway) or direct (HTTP to --url)");
ABSL_FLAG(std::string, target, "127.0.0.1:50051", "The gateway (grpc mode)");
ABSL_FLAG(std::string, url, "", "The batch/archive URL (direct mode)");
ABSL_FLAG(std::string, token, "", "Bearer token (direct mode)");
ABSL_FLAG(int, calls, 10000, "Calls to complete");
ABSL_FLAG(int, concurrency, 32, "Calls in flight at once");
ABSL_FLAG(int, inputs_per_call, 1, "Inputs per call (one to-id each)");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(60), "Deadline of each call");
ABSL_FLAG(absl::Duration, pause, absl::ZeroDuration(),
          "Each caller waits this long after a call before its next (paced interactive load)");
ABSL_FLAG(bool, distinct_tokens, false,
          "grpc mode: each call sends its own 'authorization: Bearer bench-<call>' metadata, "
          "as passthrough callers with many tokens would");
ABSL_FLAG(std::string, caller, "",
          "grpc mode: sent as the x-archive-caller metadata, the flow the gateway queues the "
          "calls in (empty: none, the gateway names the flow by the peer address)");
ABSL_FLAG(int, measure_pid, 0, "Process whose CPU, RSS and threads are reported (0: self)");
ABSL_FLAG(std::string, label, "", "Label printed with the results");

namespace hubspot_gateway::bench {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;

v1::ArchiveAssociationsRequest MakeRequest(int call) {
  v1::ArchiveAssociationsRequest request;
  request.set_from_object_type("contacts");
  request.set_to_object_type("companies");
  for (int i = 0; i < absl::GetFlag(FLAGS_inputs_per_call); ++i) {
    auto* input = request.add_inputs();
    input->mutable_from_object()->set_id(absl::StrCat(call * 1000 + i + 1));
    input->add_to_objects()->set_id(absl::StrCat(call * 1000 + i + 500001));
  }
  return request;
}

// Keeps `concurrency` calls going; each Start(i, done) must call done(ok) once.
class ClosedLoop {
 public:
  using Starter = std::function<void(int call, std::function<void(bool)> done)>;

  ClosedLoop(int calls, int concurrency, absl::Duration pause, Starter start)
      : calls_(calls), concurrency_(concurrency), pause_(pause), start_(std::move(start)) {}

  absl::Duration Run(LatencyReport& report) {
    report_ = &report;
    const absl::Time begin = absl::Now();
    for (int i = 0; i < std::min(concurrency_, calls_); ++i) StartNext();
    all_done_.WaitForNotification();
    return absl::Now() - begin;
  }

 private:
  void StartNext() {
    const int call = next_.fetch_add(1);
    if (call >= calls_) return;
    const absl::Time started = absl::Now();
    start_(call, [this, started](bool ok) {
      const absl::Duration latency = absl::Now() - started;
      {
        absl::MutexLock lock(&mu_);
        report_->Record(latency, ok);
      }
      if (finished_.fetch_add(1) + 1 == calls_) {
        all_done_.Notify();
        return;
      }
      // A paced caller thinks between calls (this bench tool's thread, not the gateway's).
      if (pause_ > absl::ZeroDuration()) absl::SleepFor(pause_);
      StartNext();
    });
  }

  const int calls_;
  const int concurrency_;
  const absl::Duration pause_;
  Starter start_;
  std::atomic<int> next_{0};
  std::atomic<int> finished_{0};
  absl::Mutex mu_;
  LatencyReport* report_ = nullptr;
  absl::Notification all_done_;
};

// Samples the measured process's thread count while the load runs.
class ThreadSampler {
 public:
  explicit ThreadSampler(pid_t pid)
      : pid_(pid), thread_([this] {
          while (!stop_.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
            max_threads_ = std::max(max_threads_.load(), ReadProcessStats(pid_).threads);
          }
        }) {}
  ~ThreadSampler() {
    stop_.Notify();
    thread_.join();
  }
  int max_threads() const { return max_threads_; }

 private:
  const pid_t pid_;
  std::atomic<int> max_threads_{0};
  absl::Notification stop_;
  std::thread thread_;
};

int Run(const std::string& command_line) {
  const int calls = absl::GetFlag(FLAGS_calls);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  const pid_t measured =
      absl::GetFlag(FLAGS_measure_pid) != 0 ? absl::GetFlag(FLAGS_measure_pid) : getpid();

  // Requests are built before the clock starts.
  std::vector<v1::ArchiveAssociationsRequest> requests;
  std::vector<std::string> bodies;
  for (int i = 0; i < calls; ++i) {
    requests.push_back(MakeRequest(i));
    if (mode == "direct") {
      std::vector<ArchiveSlice> slices;
      for (const auto& input : requests.back().inputs())
        slices.push_back(ArchiveSlice::Whole(input));
      bodies.push_back(EncodeArchiveBody(slices));
    }
  }

  std::unique_ptr<v1::AssociationsArchive::Stub> stub;
  std::unique_ptr<CurlMultiTransport> transport;
  ClosedLoop::Starter start;
  const absl::Duration deadline = absl::GetFlag(FLAGS_deadline);
  if (mode == "grpc") {
    grpc::ChannelArguments arguments;
    stub = v1::AssociationsArchive::NewStub(grpc::CreateCustomChannel(
        absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials(), arguments));
    const bool distinct_tokens = absl::GetFlag(FLAGS_distinct_tokens);
    const std::string caller = absl::GetFlag(FLAGS_caller);
    start = [&, distinct_tokens, caller](int call, std::function<void(bool)> done) {
      auto* context = new grpc::ClientContext;
      auto* result = new v1::BatchResult;
      context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
      if (distinct_tokens)
        context->AddMetadata("authorization", absl::StrCat("Bearer bench-", call));
      if (!caller.empty()) context->AddMetadata("x-archive-caller", caller);
      stub->async()->ArchiveAssociations(
          context, &requests[call], result,
          [context, result, done = std::move(done)](grpc::Status status) {
            const bool ok = status.ok() && result->status() == v1::BatchResult::COMPLETE;
            delete context;
            delete result;
            done(ok);
          });
    };
  } else if (mode == "direct") {
    auto created = CurlMultiTransport::Create({concurrency});
    if (!created.ok()) {
      std::fprintf(stderr, "%s\n", std::string(created.status().message()).c_str());
      return 1;
    }
    transport = *std::move(created);
    const std::string url = absl::GetFlag(FLAGS_url);
    const std::string authorization = absl::StrCat("Bearer ", absl::GetFlag(FLAGS_token));
    start = [&, url, authorization](int call, std::function<void(bool)> done) {
      HttpRequest request;
      request.url = url;
      request.headers = {{"Authorization", authorization}, {"Content-Type", "application/json"}};
      request.body = bodies[call];
      request.timeout = deadline;
      transport->Send(std::move(request),
                      [done = std::move(done)](absl::StatusOr<HttpResponse> response) {
                        done(response.ok() && response->status_code / 100 == 2);
                      });
    };
  } else {
    std::fprintf(stderr, "--mode must be grpc or direct\n");
    return 64;
  }

  LatencyReport report;
  const ProcessStats before = ReadProcessStats(measured);
  absl::Duration wall;
  int max_threads = 0;
  {
    ThreadSampler sampler(measured);
    ClosedLoop loop(calls, concurrency, absl::GetFlag(FLAGS_pause), start);
    wall = loop.Run(report);
    max_threads = sampler.max_threads();
  }
  const ProcessStats after = ReadProcessStats(measured);
  std::printf("command: %s\n", command_line.c_str());
  std::printf(
      "result label=%s mode=%s concurrency=%d inputs_per_call=%d %s measured_pid=%d "
      "cpu_s_per_1000_calls=%.4f peak_rss_mib=%.1f max_threads=%d\n",
      absl::GetFlag(FLAGS_label).c_str(), mode.c_str(), concurrency,
      absl::GetFlag(FLAGS_inputs_per_call), report.Summary(wall).c_str(), measured,
      (after.cpu_seconds - before.cpu_seconds) * 1000.0 / calls, after.peak_rss_kib / 1024.0,
      std::max(max_threads, after.threads));
  return report.errors() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace hubspot_gateway::bench

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  absl::ParseCommandLine(argc, argv);
  return hubspot_gateway::bench::Run(absl::StrJoin(args, " "));
}
