#include "simulator/fault_injector.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_simulator {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

FaultInjector MakeInjector(const json& patch) {
  FaultSettings settings;
  EXPECT_TRUE(ApplyFaultPatch(patch, &settings).ok());
  return FaultInjector(settings);
}

TEST(ApplyFaultPatchTest, AppliesOnlyThePresentFields) {
  FaultSettings settings;
  ASSERT_TRUE(ApplyFaultPatch(json::parse(R"({"latency_ms":25,
      "error_rate":0.5,"error_status":500,"retry_after":"3",
      "fail_from_ids":["7","8"],"hang_next":2})"),
                              &settings)
                  .ok());
  EXPECT_EQ(settings.latency_ms, 25);
  EXPECT_EQ(settings.error_rate, 0.5);
  EXPECT_EQ(settings.error_status, 500);
  EXPECT_EQ(settings.retry_after, "3");
  EXPECT_EQ(settings.fail_from_ids.size(), 2u);
  EXPECT_EQ(settings.hang_next, 2);
  EXPECT_EQ(settings.hang_ms, 60000);  // untouched default

  ASSERT_TRUE(ApplyFaultPatch(json::parse(R"({"retry_after":null,
      "fail_from_ids":[]})"),
                              &settings)
                  .ok());
  EXPECT_EQ(settings.retry_after, "");
  EXPECT_TRUE(settings.fail_from_ids.empty());
  EXPECT_EQ(settings.latency_ms, 25);
}

TEST(ApplyFaultPatchTest, RejectsBadPatchesWithoutChangingAnything) {
  const char* bad_patches[] = {
      R"([])",
      R"({"latency_ms":5,"nonsense":1})",
      R"({"latency_ms":-1})",
      R"({"latency_ms":1.5})",
      R"({"fail_next":"3"})",
      R"({"error_rate":1.5})",
      R"({"drop_rate":-0.1})",
      R"({"error_status":200})",
      R"({"error_status":600})",
      R"({"retry_after":5})",
      R"({"fail_from_ids":"7"})",
      R"({"fail_from_ids":[7]})",
  };
  for (const char* patch : bad_patches) {
    FaultSettings settings;
    EXPECT_EQ(ApplyFaultPatch(json::parse(patch), &settings).code(),
              absl::StatusCode::kInvalidArgument)
        << patch;
    EXPECT_EQ(FaultSettingsToJson(settings), FaultSettingsToJson(FaultSettings())) << patch;
  }
  FaultSettings settings;
  EXPECT_THAT(std::string(ApplyFaultPatch(json::parse(R"({"bogus":1})"), &settings).message()),
              HasSubstr("bogus"));
}

TEST(ApplyFaultPatchTest, JsonRoundTrips) {
  FaultSettings settings;
  ASSERT_TRUE(ApplyFaultPatch(json::parse(R"({"drop_rate":0.25,
      "fail_from_ids":["b","a"],"retry_after":"1"})"),
                              &settings)
                  .ok());
  const json out = FaultSettingsToJson(settings);
  EXPECT_EQ(out["fail_from_ids"], json::parse(R"(["a","b"])"));
  EXPECT_EQ(out["retry_after"], "1");
  FaultSettings copy;
  ASSERT_TRUE(ApplyFaultPatch(out, &copy).ok());
  EXPECT_EQ(FaultSettingsToJson(copy), out);
  EXPECT_TRUE(FaultSettingsToJson(FaultSettings())["retry_after"].is_null());
}

TEST(FaultInjectorTest, NoFaultsByDefault) {
  FaultInjector injector{FaultSettings()};
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(injector.PlanArchive({"1"}).fault, Fault::kNone);
    EXPECT_EQ(injector.PlanOther().fault, Fault::kNone);
  }
}

TEST(FaultInjectorTest, CountersAreConsumedInPrecedenceOrder) {
  FaultInjector injector = MakeInjector(json::parse(R"({"hang_next":1,
      "malformed_next":1,"drop_next":1,"html_error_next":1,"fail_next":2,
      "daily_limit_next":1,"bodyless_rate_limit_next":1,"secondly_limit_next":1,
      "rate_limit_next":1,"error_status":500,
      "hang_ms":7})"));
  EXPECT_EQ(injector.PlanOther().fault, Fault::kNone);  // not an archive
  const Fault expected[] = {Fault::kRateLimit,  Fault::kSecondlyLimit, Fault::kBodylessRateLimit,
                            Fault::kDailyLimit, Fault::kError,         Fault::kError,
                            Fault::kHtmlError,  Fault::kDrop,          Fault::kMalformed,
                            Fault::kHang,       Fault::kNone};
  for (Fault fault : expected) {
    const FaultPlan plan = injector.PlanArchive({});
    EXPECT_EQ(plan.fault, fault);
    EXPECT_EQ(plan.error_status, 500);
    EXPECT_EQ(plan.hang, absl::Milliseconds(7));
  }
  EXPECT_EQ(injector.ToJson()["fail_next"], 0);
}

TEST(FaultInjectorTest, LabelsReadFailuresAreTheirOwnCounter) {
  FaultInjector injector =
      MakeInjector(json::parse(R"({"labels_read_fail_next":1,"fail_next":1})"));
  EXPECT_EQ(injector.PlanLabelsRead().fault, Fault::kError);
  EXPECT_EQ(injector.PlanLabelsRead().fault, Fault::kNone);
  EXPECT_EQ(injector.ToJson()["fail_next"], 1);  // archive counters untouched
  EXPECT_EQ(injector.PlanArchive({}).fault, Fault::kError);
  EXPECT_EQ(injector.PlanArchive({}).fault, Fault::kNone);
}

TEST(FaultInjectorTest, ConcurrentRequestsEachTakeOneCounter) {
  FaultInjector injector = MakeInjector(json::parse(R"({"fail_next":1000})"));
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        if (injector.PlanArchive({}).fault == Fault::kError) ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 1000);
  EXPECT_EQ(injector.PlanArchive({}).fault, Fault::kNone);
}

TEST(FaultInjectorTest, FailFromIdsFailsEveryMatchingRequest) {
  FaultInjector injector = MakeInjector(json::parse(R"({"fail_from_ids":["13"],"drop_next":1})"));
  EXPECT_EQ(injector.PlanArchive({"13"}).fault, Fault::kDrop);  // counter first
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(injector.PlanArchive({"1", "13"}).fault, Fault::kError);
  }
  EXPECT_EQ(injector.PlanArchive({"1", "2"}).fault, Fault::kNone);
  EXPECT_EQ(injector.PlanOther().fault, Fault::kNone);
}

TEST(FaultInjectorTest, RatesOfOneAlwaysFire) {
  EXPECT_EQ(MakeInjector(json::parse(R"({"error_rate":1})")).PlanOther().fault, Fault::kError);
  EXPECT_EQ(MakeInjector(json::parse(R"({"drop_rate":1})")).PlanOther().fault, Fault::kDrop);
  EXPECT_EQ(MakeInjector(json::parse(R"({"malformed_rate":1})")).PlanOther().fault,
            Fault::kMalformed);
  EXPECT_EQ(MakeInjector(json::parse(R"({"hang_rate":1})")).PlanArchive({}).fault, Fault::kHang);
}

TEST(FaultInjectorTest, RatesSplitRequestsRoughlyInProportion) {
  FaultInjector injector = MakeInjector(json::parse(R"({"error_rate":0.25,"drop_rate":0.25})"));
  int errors = 0;
  int drops = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) {
    const Fault fault = injector.PlanOther().fault;
    errors += fault == Fault::kError;
    drops += fault == Fault::kDrop;
  }
  // Binomial(20000, 0.25): the standard deviation is about 61.
  EXPECT_NEAR(errors, kDraws / 4, 600);
  EXPECT_NEAR(drops, kDraws / 4, 600);
}

TEST(FaultInjectorTest, ResetRestoresTheInitialSettings) {
  FaultInjector injector = MakeInjector(json::parse(R"({"latency_ms":3})"));
  ASSERT_TRUE(
      injector.Apply(json::parse(R"({"latency_ms":9,"fail_next":5,"retry_after":"2"})")).ok());
  EXPECT_EQ(injector.Latency(), absl::Milliseconds(9));
  EXPECT_EQ(injector.RetryAfter(), "2");
  injector.Reset();
  EXPECT_EQ(injector.Latency(), absl::Milliseconds(3));
  EXPECT_EQ(injector.RetryAfter(), "");
  EXPECT_EQ(injector.PlanArchive({}).fault, Fault::kNone);
}

TEST(FaultInjectorTest, RejectedApplyKeepsCurrentSettings) {
  FaultInjector injector{FaultSettings()};
  EXPECT_FALSE(injector.Apply(json::parse(R"({"fail_next":1,"x":2})")).ok());
  EXPECT_EQ(injector.PlanArchive({}).fault, Fault::kNone);
}

}  // namespace
}  // namespace hubspot_simulator
