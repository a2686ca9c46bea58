#include "tests/testing/archive_calls.h"

#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace hubspot_gateway::testing {

namespace v1 = ::hubspot::crm::associations::v1;

std::optional<v1::UpstreamError> ArchiveOutcome::upstream() const {
  google::rpc::Status rich;
  v1::UpstreamError error;
  if (!rich.ParseFromString(status.error_details()) || rich.details_size() != 1 ||
      !rich.details(0).UnpackTo(&error)) {
    return std::nullopt;
  }
  return error;
}

namespace {

template <typename Request, typename Method>
ArchiveOutcome Call(v1::AssociationsArchive::Stub& stub, Method method, const Request& request,
                    absl::Duration deadline, const std::string& bearer) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  if (!bearer.empty()) context.AddMetadata("authorization", "Bearer " + bearer);
  ArchiveOutcome outcome;
  outcome.status = (stub.*method)(&context, request, &outcome.result);
  return outcome;
}

}  // namespace

ArchiveOutcome Archive(Stack& stack, const v1::ArchiveAssociationsRequest& request,
                       absl::Duration deadline, const std::string& bearer) {
  return Archive(stack.stub(), request, deadline, bearer);
}

ArchiveOutcome Archive(v1::AssociationsArchive::Stub& stub,
                       const v1::ArchiveAssociationsRequest& request, absl::Duration deadline,
                       const std::string& bearer) {
  return Call(stub, &v1::AssociationsArchive::Stub::ArchiveAssociations, request, deadline, bearer);
}

ArchiveOutcome Archive(Stack& stack, const v1::ArchiveAssociationLabelsRequest& request,
                       absl::Duration deadline, const std::string& bearer) {
  return Call(stack.stub(), &v1::AssociationsArchive::Stub::ArchiveAssociationLabels, request,
              deadline, bearer);
}

std::vector<std::string> LabeledAssociations(Stack& stack, const std::string& from_type,
                                             const std::string& to_type) {
  auto answer = stack.AdminGet(
      absl::StrCat("/_admin/associations?from_type=", from_type, "&to_type=", to_type));
  EXPECT_TRUE(answer.ok()) << answer.status();
  std::vector<std::string> pairs;
  if (!answer.ok()) return pairs;
  for (const auto& pair : (*answer)["associations"]) {
    std::string text =
        absl::StrCat(pair["from"].get<std::string>(), ">", pair["to"].get<std::string>());
    if (pair.contains("labels")) {
      for (size_t i = 0; i < pair["labels"].size(); ++i) {
        const auto& label = pair["labels"][i];
        absl::StrAppend(&text, i == 0 ? " " : ",", label["category"].get<std::string>(), ":",
                        label["type_id"].get<int>());
      }
    }
    pairs.push_back(std::move(text));
  }
  return pairs;
}

std::vector<ArchiveOutcome> CallConcurrently(
    v1::AssociationsArchive::Stub& stub,
    const std::vector<v1::ArchiveAssociationsRequest>& requests, int callers) {
  std::vector<ArchiveOutcome> outcomes(requests.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < callers; ++c) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < requests.size(); i = next++) {
        outcomes[i] = Archive(stub, requests[i], absl::Seconds(120));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return outcomes;
}

std::vector<ArchiveOutcome> CallConcurrently(
    Stack& stack, const std::vector<v1::ArchiveAssociationsRequest>& requests, int callers) {
  return CallConcurrently(stack.stub(), requests, callers);
}

void ExpectAllSucceeded(const std::vector<ArchiveOutcome>& outcomes) {
  int failed = 0;
  for (const ArchiveOutcome& outcome : outcomes) {
    if (outcome.status.ok() && outcome.result.num_errors() == 0) continue;
    if (++failed <= 3) {
      ADD_FAILURE() << outcome.status.error_code() << " " << outcome.status.error_message() << " "
                    << outcome.result.ShortDebugString();
    }
  }
  EXPECT_EQ(failed, 0);
}

std::unique_ptr<Stack> StartStack(StackOptions options) {
  auto stack = Stack::Start(std::move(options));
  EXPECT_TRUE(stack.ok()) << stack.status();
  return stack.ok() ? *std::move(stack) : nullptr;
}

int Stat(Stack& stack, const std::string& name) {
  auto stats = stack.AdminGet("/_admin/stats");
  return stats.ok() ? (*stats)[name].get<int>() : -1;
}

std::string ScrapeMetrics(Stack& stack) { return ScrapeMetrics(stack.gateway()); }

std::string ScrapeMetrics(Subprocess& gateway) {
  const std::string output = gateway.Output();
  const size_t at = output.find("metrics on port ");
  if (at == std::string::npos) return "";
  const int port = std::atoi(output.c_str() + at + strlen("metrics on port "));
  httplib::Client client("127.0.0.1", port);
  httplib::Result result = client.Get("/metrics");
  return result && result->status == 200 ? result->body : "";
}

double GatewayMetric(Stack& stack, const std::string& series) {
  return GatewayMetric(stack.gateway(), series);
}

double GatewayMetric(Subprocess& gateway, const std::string& series) {
  const std::string page = ScrapeMetrics(gateway);
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    double value = 0;
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ") &&
        absl::SimpleAtod(line, &value)) {
      return value;
    }
  }
  return -1;
}

}  // namespace hubspot_gateway::testing
