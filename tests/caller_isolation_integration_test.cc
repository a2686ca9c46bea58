// Caller isolation end to end (issue 21, defect 6): two callers under one
// HubSpot token whose calls the real gateway coalesces into the same upstream
// requests to the real simulator, with overlapping record ids. Caller A's
// pairs are associated; caller B's are not, and every id B sends is one A
// sends too (in another pair). A must read every call as done, with no error
// and no record of B's; B must get exactly its own "not associated" errors.
// Once for batch/labels/archive, once for batch/archive (the simulator's
// --archive_missing_as_errors answers missing pairs the way labels/archive
// does), and once for a request rejected as a whole for one caller's input.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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
using ::hubspot_gateway::testing::kSimulatorToken;
using ::hubspot_gateway::testing::LabeledAssociations;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::StartStack;
using ::hubspot_gateway::testing::Stat;
using ::hubspot_gateway::testing::WaitUntil;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Calls per caller, one pair each: caller A's call i removes
// (kFrom + i -> kTo + i), caller B's (kFrom + i -> kTo + i + 1).
constexpr int kCallsEach = 20;
constexpr int kFrom = 1000;
constexpr int kTo = 5000;

// A caller's pair of call i, as "from>to".
std::string PairOf(char caller, int i) {
  return absl::StrCat(kFrom + i, ">", kTo + i + (caller == 'B' ? 1 : 0));
}

// One unary call of `caller`, under way.
struct Call {
  char caller = 'A';
  int index = 0;
  grpc::ClientContext context;
  v1::BatchResult result;
  grpc::Status status;
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
};

// A record id in a result: a string, or a JSON number.
std::string IdText(const google::protobuf::Value& value) {
  if (value.kind_case() == google::protobuf::Value::kNumberValue) {
    return absl::StrCat(static_cast<int64_t>(std::llround(value.number_value())));
  }
  return value.string_value();
}

// Each result as "from>to" (one per to id).
std::vector<std::string> ResultPairs(const v1::BatchResult& result) {
  std::vector<std::string> pairs;
  for (const google::protobuf::Value& value : result.results()) {
    const auto& fields = value.struct_value().fields();
    const std::string from = IdText(fields.at("from").struct_value().fields().at("id"));
    const google::protobuf::Value& to = fields.at("to");
    if (to.kind_case() == google::protobuf::Value::kListValue) {
      for (const auto& item : to.list_value().values()) {
        pairs.push_back(absl::StrCat(from, ">", IdText(item.struct_value().fields().at("id"))));
      }
    } else {
      pairs.push_back(absl::StrCat(from, ">", IdText(to.struct_value().fields().at("id"))));
    }
  }
  return pairs;
}

// Starts every call of both callers at once (A and B interleaved) with
// `start(call, done)`, then waits for all of them.
std::vector<std::unique_ptr<Call>> CallBoth(
    const std::function<void(Call&, std::function<void(grpc::Status)>)>& start) {
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < kCallsEach; ++i) {
    for (char caller : {'A', 'B'}) {
      auto call = std::make_unique<Call>();
      call->caller = caller;
      call->index = i;
      call->context.AddMetadata("x-archive-caller", caller == 'A' ? "caller-a" : "caller-b");
      call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      calls.push_back(std::move(call));
    }
  }
  for (auto& call : calls) {
    Call* raw = call.get();
    start(*raw, [raw](grpc::Status status) {
      absl::MutexLock lock(&raw->mu);
      raw->status = std::move(status);
      raw->done = true;
    });
  }
  for (auto& call : calls) {
    EXPECT_TRUE(WaitUntil(
        [&] {
          absl::MutexLock lock(&call->mu);
          return call->done;
        },
        absl::Seconds(90)));
  }
  return calls;
}

// What each caller must read: A all done, with only its own pair; B its one
// error, naming its own pair only.
void ExpectIsolated(const std::vector<std::unique_ptr<Call>>& calls) {
  for (const auto& call : calls) {
    absl::MutexLock lock(&call->mu);
    SCOPED_TRACE(absl::StrCat("caller ", std::string(1, call->caller), " call ", call->index));
    ASSERT_TRUE(call->status.ok()) << call->status.error_message();
    const std::string own = PairOf(call->caller, call->index);
    for (const std::string& pair : ResultPairs(call->result)) EXPECT_EQ(pair, own);
    if (call->caller == 'A') {
      EXPECT_THAT(call->result.errors(), IsEmpty());
      EXPECT_EQ(call->result.num_errors(), 0);
      EXPECT_THAT(ResultPairs(call->result), ElementsAre(own));
      continue;
    }
    EXPECT_THAT(ResultPairs(call->result), IsEmpty());
    ASSERT_EQ(call->result.errors_size(), 1);
    EXPECT_EQ(call->result.num_errors(), 1);
    const v1::StandardError& error = call->result.errors(0);
    EXPECT_EQ(error.category(), "OBJECT_NOT_FOUND");
    EXPECT_THAT(error.context().at("fromIds").values(),
                ElementsAre(absl::StrCat(kFrom + call->index)));
    EXPECT_THAT(error.context().at("toIds").values(),
                ElementsAre(absl::StrCat(kTo + call->index + 1)));
    EXPECT_THAT(error.message(), HasSubstr(absl::StrCat(kTo + call->index + 1)));
    // A's to id of this from id is nowhere in B's error.
    EXPECT_THAT(error.DebugString(), Not(HasSubstr(absl::StrCat(kTo + call->index, "\""))));
  }
}

// Both callers' ArchiveAssociations calls, all at once: call i of A removes
// (kFrom + i -> kTo + i), call i of B (kFrom + i + b_from -> kTo + i + b_to).
std::vector<std::unique_ptr<Call>> ArchiveBoth(Stack& stack, int b_from, int b_to) {
  std::vector<v1::ArchiveAssociationsRequest> requests(2 * kCallsEach);
  return CallBoth([&](Call& call, std::function<void(grpc::Status)> done) {
    const bool b = call.caller == 'B';
    v1::ArchiveAssociationsRequest& request = requests[2 * call.index + b];
    request.set_from_object_type("contacts");
    request.set_to_object_type("companies");
    v1::ArchiveInput* input = request.add_inputs();
    input->mutable_from_object()->set_id(absl::StrCat(kFrom + call.index + (b ? b_from : 0)));
    input->add_to_objects()->set_id(absl::StrCat(kTo + call.index + (b ? b_to : 0)));
    stack.stub().async()->ArchiveAssociations(&call.context, &request, &call.result,
                                              std::move(done));
  });
}

// Seeds caller A's pairs, (kFrom + i -> kTo + i).
void SeedCallerAPairs(Stack& stack) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < kCallsEach; ++i) {
    pairs.push_back({absl::StrCat(kFrom + i), absl::StrCat(kTo + i)});
  }
  ASSERT_TRUE(stack.Seed("contacts", "companies", pairs).ok());
}

std::unique_ptr<Stack> StartCoalescingStack(std::vector<std::string> simulator_flags) {
  StackOptions options;
  options.simulator_flags = std::move(simulator_flags);
  // A partial request waits this long for more calls to join it.
  options.gateway_flags = {"--coalesce_window=500ms", "--max_attempts=1",
                           "--metrics_listen=127.0.0.1:0"};
  return StartStack(options);
}

TEST(CallerIsolationIntegrationTest, LabelErrorsOfOneCallerNeverReachAnother) {
  auto stack = StartCoalescingStack({});
  ASSERT_NE(stack, nullptr);
  nlohmann::json pairs = nlohmann::json::array();
  for (int i = 0; i < kCallsEach; ++i) {
    pairs.push_back({{"from", absl::StrCat(kFrom + i)},
                     {"to", absl::StrCat(kTo + i)},
                     {"labels", {{{"category", "USER_DEFINED"}, {"type_id", 36}}}}});
  }
  ASSERT_TRUE(
      stack
          ->AdminPost("/_admin/associations",
                      {{"from_type", "contacts"}, {"to_type", "companies"}, {"pairs", pairs}})
          .ok());
  std::vector<v1::ArchiveAssociationLabelsRequest> requests(2 * kCallsEach);
  auto calls = CallBoth([&](Call& call, std::function<void(grpc::Status)> done) {
    v1::ArchiveAssociationLabelsRequest& request = requests[2 * call.index + (call.caller == 'B')];
    request.set_from_object_type("contacts");
    request.set_to_object_type("companies");
    v1::LabelArchiveInput* input = request.add_inputs();
    input->mutable_from_object()->set_id(absl::StrCat(kFrom + call.index));
    input->mutable_to_object()->set_id(
        absl::StrCat(kTo + call.index + (call.caller == 'B' ? 1 : 0)));
    v1::AssociationType* type = input->add_types();
    type->set_category(v1::USER_DEFINED);
    type->set_type_id(36);
    stack->stub().async()->ArchiveAssociationLabels(&call.context, &request, &call.result,
                                                    std::move(done));
  });
  ExpectIsolated(calls);
  // The callers' calls shared upstream requests.
  EXPECT_LT(Stat(*stack, "label_archive_requests"), kCallsEach);
  EXPECT_EQ(Stat(*stack, "archived_labels"), kCallsEach);
  for (const std::string& held : LabeledAssociations(*stack, "contacts", "companies")) {
    EXPECT_THAT(held, Not(HasSubstr("USER_DEFINED:36")));
  }
  EXPECT_THAT(stack->AllOutput(), Not(HasSubstr(kSimulatorToken)));
}

TEST(CallerIsolationIntegrationTest, ArchiveErrorsOfOneCallerNeverReachAnother) {
  auto stack = StartCoalescingStack({"--archive_missing_as_errors"});
  ASSERT_NE(stack, nullptr);
  SeedCallerAPairs(*stack);
  auto calls = ArchiveBoth(*stack, 0, 1);
  ExpectIsolated(calls);
  EXPECT_LT(Stat(*stack, "archive_requests"), kCallsEach);
  EXPECT_EQ(Stat(*stack, "archived_pairs"), kCallsEach);
  const auto held = stack->Associations("contacts", "companies");
  ASSERT_TRUE(held.ok());
  EXPECT_THAT(*held, IsEmpty());
  EXPECT_THAT(stack->AllOutput(), Not(HasSubstr(kSimulatorToken)));
}

// A request HubSpot rejects as a whole because of one caller's input (the
// simulator's fail_from_ids answering 400) is sent again one call per
// request: the other caller's calls succeed, and only the one whose input it
// was hears the 400.
TEST(CallerIsolationIntegrationTest, ARequestRejectedForOneCallersInputFailsOnlyThatCaller) {
  auto stack = StartCoalescingStack({});
  ASSERT_NE(stack, nullptr);
  SeedCallerAPairs(*stack);
  // Caller B's from ids, kFrom + 500 + i, make any request carrying them a 400.
  nlohmann::json rejected = nlohmann::json::array();
  for (int i = 0; i < kCallsEach; ++i) rejected.push_back(absl::StrCat(kFrom + 500 + i));
  ASSERT_TRUE(
      stack->AdminPost("/_admin/faults", {{"fail_from_ids", rejected}, {"error_status", 400}})
          .ok());
  auto calls = ArchiveBoth(*stack, 500, 0);
  for (const auto& call : calls) {
    absl::MutexLock lock(&call->mu);
    if (call->caller == 'A') {
      EXPECT_TRUE(call->status.ok()) << call->index << ": " << call->status.error_message();
      EXPECT_THAT(call->result.errors(), IsEmpty());
    } else {
      EXPECT_EQ(call->status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << call->index;
    }
  }
  // B's calls were each answered 400 alone, after at least one request they
  // shared with A's calls was.
  absl::StatusOr<nlohmann::json> stats = stack->AdminGet("/_admin/stats");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GT((*stats)["responses_by_status"].value("400", 0), kCallsEach);
  const auto held = stack->Associations("contacts", "companies");
  ASSERT_TRUE(held.ok());
  EXPECT_THAT(*held, IsEmpty());
  EXPECT_THAT(stack->AllOutput(), Not(HasSubstr(kSimulatorToken)));
}

}  // namespace
}  // namespace hubspot_gateway
