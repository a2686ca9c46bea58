// ArchiveAssociationLabels end to end: the real gateway removes labels in the
// real simulator through batch/labels/archive, validated, chunked and
// mirrored like ArchiveAssociations; the labels guard (the unlabeled type is
// refused unless the request opts in, read from the simulator's labels
// endpoint on the token's budget, failing open); the sample client's --label path.
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "nlohmann/json.hpp"
#include "tests/testing/archive_calls.h"
#include "tests/testing/stack.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::hubspot_gateway::testing::Archive;
using ::hubspot_gateway::testing::ArchiveOutcome;
using ::hubspot_gateway::testing::kSimulatorToken;
using ::hubspot_gateway::testing::LabeledAssociations;
using ::hubspot_gateway::testing::Stack;
using ::hubspot_gateway::testing::StackOptions;
using ::hubspot_gateway::testing::StartStack;
using ::hubspot_gateway::testing::Stat;
using ::hubspot_gateway::testing::Subprocess;
using ::hubspot_gateway::testing::TempPath;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Seeds contacts -> companies pairs (from, to) carrying USER_DEFINED:36
// ("Billing contact") and HUBSPOT_DEFINED:1.
void SeedLabeled(Stack& stack, const std::vector<std::pair<int, int>>& pairs) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [from, to] : pairs) {
    list.push_back({{"from", absl::StrCat(from)},
                    {"to", absl::StrCat(to)},
                    {"labels",
                     {{{"category", "USER_DEFINED"}, {"type_id", 36}},
                      {{"category", "HUBSPOT_DEFINED"}, {"type_id", 1}}}}});
  }
  ASSERT_TRUE(stack
                  .AdminPost("/_admin/associations",
                             {{"from_type", "contacts"}, {"to_type", "companies"}, {"pairs", list}})
                  .ok());
}

// Removes USER_DEFINED:36 from each (from, to).
v1::ArchiveAssociationLabelsRequest RemoveBilling(const std::vector<std::pair<int, int>>& pairs) {
  v1::ArchiveAssociationLabelsRequest request;
  request.set_from_object_type("contacts");
  request.set_to_object_type("companies");
  for (const auto& [from, to] : pairs) {
    v1::LabelArchiveInput* input = request.add_inputs();
    input->mutable_from_object()->set_id(absl::StrCat(from));
    input->mutable_to_object()->set_id(absl::StrCat(to));
    v1::AssociationType* type = input->add_types();
    type->set_category(v1::USER_DEFINED);
    type->set_type_id(36);
  }
  return request;
}

std::vector<std::pair<int, int>> Pairs(int count) {
  std::vector<std::pair<int, int>> pairs;
  for (int i = 0; i < count; ++i) pairs.emplace_back(1000 + i, 5000 + i);
  return pairs;
}

TEST(LabelsIntegrationTest, InvalidCategoryIsInvalidArgumentBeforeAnyHttp) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  SeedLabeled(*stack, {{101, 201}});
  auto request = RemoveBilling({{101, 201}, {102, 202}});
  request.mutable_inputs(1)->mutable_types(0)->set_category(v1::ASSOCIATION_CATEGORY_UNSPECIFIED);
  ArchiveOutcome outcome = Archive(*stack, request);
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(outcome.status.error_message(), HasSubstr("inputs[1].types[0].category: required"));

  // A number the enum does not know (proto3 keeps it) is refused the same way.
  request.mutable_inputs(1)->mutable_types(0)->set_category(
      static_cast<v1::AssociationCategory>(9));
  outcome = Archive(*stack, request);
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(outcome.status.error_message(), HasSubstr("got 9"));
  EXPECT_EQ(Stat(*stack, "requests"), 0);
  EXPECT_THAT(LabeledAssociations(*stack, "contacts", "companies"),
              ElementsAre("101>201 HUBSPOT_DEFINED:1,USER_DEFINED:36"));
}

TEST(LabelsIntegrationTest, ChunkedCallRemovesEveryLabelAndKeepsEveryAssociation) {
  StackOptions options;
  options.gateway_flags = {"--max_inputs_per_request=100"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  SeedLabeled(*stack, Pairs(250));
  const ArchiveOutcome outcome = Archive(*stack, RemoveBilling(Pairs(250)));
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_EQ(outcome.result.status(), v1::BatchResult::COMPLETE);
  EXPECT_EQ(outcome.result.num_errors(), 0);
  EXPECT_EQ(Stat(*stack, "label_archive_requests"), 3);
  EXPECT_EQ(Stat(*stack, "archived_labels"), 250);
  const std::vector<std::string> left = LabeledAssociations(*stack, "contacts", "companies");
  EXPECT_EQ(left.size(), 250u);
  for (const std::string& pair : left) EXPECT_THAT(pair, HasSubstr(" HUBSPOT_DEFINED:1"));
  EXPECT_THAT(left, Each(::testing::Not(HasSubstr("USER_DEFINED"))));
  EXPECT_THAT(stack->AllOutput(), HasSubstr("method=ArchiveAssociationLabels"));
}

TEST(LabelsIntegrationTest, PerInputErrorsOfA207AreMirrored) {
  StackOptions options;
  options.simulator_flags = {"--success_mode=batch_response"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  SeedLabeled(*stack, {{101, 201}, {103, 203}});
  // 102 -> 202 is not associated: the simulator answers 207 naming it.
  const ArchiveOutcome outcome =
      Archive(*stack, RemoveBilling({{101, 201}, {102, 202}, {103, 203}}));
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_EQ(outcome.result.status(), v1::BatchResult::COMPLETE);
  ASSERT_EQ(outcome.result.errors_size(), 1);
  EXPECT_EQ(outcome.result.num_errors(), 1);
  const v1::StandardError& error = outcome.result.errors(0);
  EXPECT_EQ(error.category(), "OBJECT_NOT_FOUND");
  EXPECT_THAT(error.context().at("fromIds").values(), ElementsAre("102"));
  EXPECT_THAT(error.context().at("toIds").values(), ElementsAre("202"));
  EXPECT_TRUE(outcome.result.has_started_at());
  EXPECT_THAT(LabeledAssociations(*stack, "contacts", "companies"),
              ElementsAre("101>201 HUBSPOT_DEFINED:1", "103>203 HUBSPOT_DEFINED:1"));
}

// RemoveBilling({{from, to}}) listing HUBSPOT_DEFINED `type_id` instead: 279
// is contacts→companies' unlabeled type, 1 a HUBSPOT_DEFINED label ("Primary").
v1::ArchiveAssociationLabelsRequest RemoveHubSpotType(int from, int to, int type_id) {
  v1::ArchiveAssociationLabelsRequest request = RemoveBilling({{from, to}});
  request.mutable_inputs(0)->mutable_types(0)->set_category(v1::HUBSPOT_DEFINED);
  request.mutable_inputs(0)->mutable_types(0)->set_type_id(type_id);
  return request;
}

// HubSpot's rule, modelled by the simulator and stated in the README and the
// proto: listing the pair's unlabeled type (279 for contacts to companies)
// removes the whole association, labels and all. The gateway refuses it
// unless the request opts in.
TEST(LabelsIntegrationTest, TheUnlabeledTypeIsRefusedUnlessTheRequestOptsIn) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  SeedLabeled(*stack, {{101, 201}, {102, 202}});
  v1::ArchiveAssociationLabelsRequest request = RemoveHubSpotType(101, 201, 279);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const ArchiveOutcome refused = Archive(*stack, request);
    EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(refused.status.error_message(),
                HasSubstr("inputs[0] (from 101 to 201) lists HUBSPOT_DEFINED 279: the unlabeled "
                          "association type of contacts to companies"));
  }
  // One read (the second call used the kept answer), no labels/archive, nothing changed.
  EXPECT_EQ(Stat(*stack, "labels_reads"), 1);
  EXPECT_EQ(Stat(*stack, "label_archive_requests"), 0);
  EXPECT_THAT(LabeledAssociations(*stack, "contacts", "companies"),
              ElementsAre("101>201 HUBSPOT_DEFINED:1,USER_DEFINED:36",
                          "102>202 HUBSPOT_DEFINED:1,USER_DEFINED:36"));

  request.set_remove_association_if_unlabeled(true);
  const ArchiveOutcome removed = Archive(*stack, request);
  ASSERT_TRUE(removed.status.ok()) << removed.status.error_message();
  EXPECT_EQ(removed.result.status(), v1::BatchResult::COMPLETE);
  EXPECT_THAT(LabeledAssociations(*stack, "contacts", "companies"),
              ElementsAre("102>202 HUBSPOT_DEFINED:1,USER_DEFINED:36"));
  EXPECT_EQ(Stat(*stack, "archived_pairs"), 1);
  EXPECT_EQ(Stat(*stack, "labels_reads"), 1);
}

TEST(LabelsIntegrationTest, AHubSpotDefinedLabelIsRemovedAfterTheRead) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  SeedLabeled(*stack, {{101, 201}});
  const ArchiveOutcome outcome = Archive(*stack, RemoveHubSpotType(101, 201, 1));
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_EQ(Stat(*stack, "labels_reads"), 1);
  EXPECT_THAT(LabeledAssociations(*stack, "contacts", "companies"),
              ElementsAre("101>201 USER_DEFINED:36"));
}

// Calls for one pair that arrive while its types are being read wait for
// that read: with nothing kept (--association_labels_ttl=0) and every HubSpot
// answer taking a second, five concurrent calls still cost one read.
TEST(LabelsIntegrationTest, ConcurrentCallsForAPairShareOneRead) {
  StackOptions options;
  options.gateway_flags = {"--association_labels_ttl=0"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  SeedLabeled(*stack, {{101, 201}, {102, 202}, {103, 203}, {104, 204}, {105, 205}});
  ASSERT_TRUE(stack->AdminPost("/_admin/faults", {{"latency_ms", 1000}}).ok());
  std::vector<ArchiveOutcome> outcomes(5);
  std::vector<std::thread> callers;
  for (int i = 0; i < 5; ++i) {
    callers.emplace_back([&, i] {
      outcomes[i] = Archive(*stack, RemoveHubSpotType(101 + i, 201 + i, i == 0 ? 279 : 1));
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(outcomes[0].status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  for (int i = 1; i < 5; ++i)
    EXPECT_TRUE(outcomes[i].status.ok()) << outcomes[i].status.error_message();
  EXPECT_EQ(Stat(*stack, "labels_reads"), 1);
  EXPECT_THAT(
      LabeledAssociations(*stack, "contacts", "companies"),
      ElementsAre("101>201 HUBSPOT_DEFINED:1,USER_DEFINED:36", "102>202 USER_DEFINED:36",
                  "103>203 USER_DEFINED:36", "104>204 USER_DEFINED:36", "105>205 USER_DEFINED:36"));
}

// When HubSpot's labels read keeps failing, the call goes ahead unchecked
// (fail open), and the gateway's log says so, without the token.
TEST(LabelsIntegrationTest, AFailingLabelsReadFailsOpenWithALogLine) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  SeedLabeled(*stack, {{101, 201}, {102, 202}});
  ASSERT_TRUE(
      stack->AdminPost("/_admin/faults", {{"labels_read_fail_next", 10}, {"error_status", 503}})
          .ok());
  const ArchiveOutcome outcome = Archive(*stack, RemoveHubSpotType(101, 201, 279));
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  // Tried as often as any request (4 attempts), then sent unchecked: HubSpot's
  // rule removed the whole association.
  EXPECT_EQ(Stat(*stack, "labels_reads"), 4);
  EXPECT_EQ(Stat(*stack, "label_archive_requests"), 1);
  EXPECT_THAT(LabeledAssociations(*stack, "contacts", "companies"),
              ElementsAre("102>202 HUBSPOT_DEFINED:1,USER_DEFINED:36"));
  const std::string output = stack->AllOutput();
  EXPECT_THAT(output, HasSubstr("labels guard: cannot read the association types of contacts to "
                                "companies (UNAVAILABLE"));
  EXPECT_THAT(output, HasSubstr("its labels calls go unchecked"));
  EXPECT_THAT(output, ::testing::Not(HasSubstr(kSimulatorToken)));
}

// The read is one request of the token's budget: with the gateway's own
// limit at 2 per 10 s (and no headers to learn from), a read and one
// labels/archive fill the window, and the next call is not sent.
TEST(LabelsIntegrationTest, TheLabelsReadIsPaidFromTheTokensBudget) {
  StackOptions options;
  options.simulator_flags = {"--rate_limit_headers=false"};
  options.gateway_flags = {"--rate_limit_per_10s=2", "--discover_rate_limit=false"};
  auto stack = StartStack(options);
  ASSERT_NE(stack, nullptr);
  SeedLabeled(*stack, {{101, 201}, {102, 202}});
  const ArchiveOutcome first = Archive(*stack, RemoveHubSpotType(101, 201, 1));
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  // Same pair: the kept answer, so no read; but the window is full.
  const ArchiveOutcome second = Archive(*stack, RemoveHubSpotType(102, 202, 1), absl::Seconds(3));
  EXPECT_EQ(second.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << second.status.error_message();
  EXPECT_THAT(second.status.error_message(), HasSubstr("rate limit"));
  EXPECT_EQ(Stat(*stack, "requests"), 2);
  EXPECT_EQ(Stat(*stack, "labels_reads"), 1);
  EXPECT_EQ(Stat(*stack, "rate_limited"), 0);
}

TEST(LabelsIntegrationTest, SampleClientRemovesALabelAndTheAssociationStays) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  SeedLabeled(*stack, {{101, 201}, {101, 202}});
  auto client = Subprocess::Start(
      {"client/sample_client", absl::StrCat("--target=127.0.0.1:", stack->gateway_port()),
       "--pair=101:201,202", "--label=USER_DEFINED:36", "--json"},
      {}, TempPath("label-client-output"));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(client->WaitForExit(absl::Seconds(60)).value_or(-1), 0) << client->Output();
  EXPECT_THAT(client->Output(), HasSubstr("\"status\": \"COMPLETE\""));
  EXPECT_EQ(Stat(*stack, "label_archive_requests"), 1);
  EXPECT_THAT(LabeledAssociations(*stack, "contacts", "companies"),
              ElementsAre("101>201 HUBSPOT_DEFINED:1", "101>202 HUBSPOT_DEFINED:1"));

  // A label the client does not know is a usage error, sent nowhere.
  auto bad = Subprocess::Start(
      {"client/sample_client", absl::StrCat("--target=127.0.0.1:", stack->gateway_port()),
       "--pair=101:201", "--label=FRIENDS:1"},
      {}, TempPath("label-client-bad-output"));
  ASSERT_TRUE(bad.ok()) << bad.status();
  EXPECT_EQ(bad->WaitForExit(absl::Seconds(60)).value_or(-1), 64);
  EXPECT_THAT(bad->Output(), HasSubstr("--label must be CATEGORY:TYPE_ID"));
}

TEST(LabelsIntegrationTest, SampleClientSendsTheUnlabeledTypeOnlyWithTheOptInFlag) {
  auto stack = StartStack();
  ASSERT_NE(stack, nullptr);
  SeedLabeled(*stack, {{101, 201}});
  const std::vector<std::string> call = {"client/sample_client",
                                         absl::StrCat("--target=127.0.0.1:", stack->gateway_port()),
                                         "--pair=101:201", "--label=HUBSPOT_DEFINED:279"};
  auto refused = Subprocess::Start(call, {}, TempPath("unlabeled-client-output"));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->WaitForExit(absl::Seconds(60)).value_or(-1), 3) << refused->Output();
  EXPECT_THAT(refused->Output(), HasSubstr("lists HUBSPOT_DEFINED 279"));
  EXPECT_EQ(LabeledAssociations(*stack, "contacts", "companies").size(), 1u);

  std::vector<std::string> opted_in = call;
  opted_in.push_back("--remove_association_if_unlabeled");
  auto removed = Subprocess::Start(opted_in, {}, TempPath("unlabeled-client-opt-in-output"));
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->WaitForExit(absl::Seconds(60)).value_or(-1), 0) << removed->Output();
  EXPECT_THAT(LabeledAssociations(*stack, "contacts", "companies"), ::testing::IsEmpty());
}

}  // namespace
}  // namespace hubspot_gateway
