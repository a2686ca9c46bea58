#include "server/api/stream_errors.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using ::testing::ElementsAre;

// `count` inputs, contacts 1.. to company 100000.
v1::ArchiveAssociationsRequest RequestOf(int count) {
  v1::ArchiveAssociationsRequest request;
  request.set_from_object_type("contacts");
  request.set_to_object_type("companies");
  for (int i = 1; i <= count; ++i) {
    auto* input = request.add_inputs();
    input->mutable_from_object()->set_id(absl::StrCat(i));
    input->add_to_objects()->set_id("100000");
  }
  return request;
}

TEST(BoundErrorTest, LeavesASmallErrorAlone) {
  v1::StandardError error;
  error.set_message("not found");
  (*error.mutable_context())["fromIds"].add_values("1");
  const std::string before = error.SerializeAsString();
  BoundError(error);
  EXPECT_EQ(error.SerializeAsString(), before);
}

TEST(BoundErrorTest, CutsAHugeErrorAndSaysHowManyValuesItLeftOut) {
  v1::StandardError error;
  error.set_message(std::string(10000, 'm'));
  auto& ids = (*error.mutable_context())["fromIds"];
  constexpr int kValues = 20000;
  for (int i = 0; i < kValues; ++i) ids.add_values(absl::StrCat(1000000 + i));
  error.add_errors()->set_message("nested");
  ASSERT_GT(static_cast<int64_t>(error.ByteSizeLong()), kMaxStreamErrorBytes);

  BoundError(error);
  EXPECT_LE(static_cast<int64_t>(error.ByteSizeLong()), kMaxStreamErrorBytes);
  EXPECT_EQ(error.message().size(), 1024u);
  EXPECT_EQ(error.errors_size(), 0);
  const int kept = error.context().at("fromIds").values_size();
  EXPECT_GT(kept, 0);
  EXPECT_THAT(error.context().at("omitted").values(), ElementsAre(absl::StrCat(kValues - kept)));
}

TEST(BoundedErrorsOfTest, ASucceededRequestReportsTheResultsErrors) {
  v1::BatchResult result;
  result.add_errors()->set_message("first");
  result.add_errors()->set_message("second");
  const auto errors = BoundedErrorsOf(RequestOf(3), result);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].message(), "first");
  EXPECT_EQ(errors[1].message(), "second");
}

TEST(BoundedErrorsOfTest, AFailedRequestNamesItsInputsAHundredPerError) {
  const absl::Status failure = absl::UnavailableError("HubSpot is down");
  const auto errors = BoundedErrorsOf(RequestOf(250), failure);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].context().at("fromIds").values_size(), 100);
  EXPECT_EQ(errors[1].context().at("fromIds").values_size(), 100);
  EXPECT_EQ(errors[2].context().at("fromIds").values_size(), 50);
  EXPECT_EQ(errors[2].context().at("fromIds").values(49), "250");
}

TEST(BoundedErrorsOfTest, AFailedEmptyRequestStillReportsOneError) {
  const auto errors = BoundedErrorsOf(RequestOf(0), absl::InvalidArgumentError("no inputs"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].context().count("fromIds"), 0u);
}

}  // namespace
}  // namespace hubspot_gateway
