// Every body the simulator answers on HubSpot's routes, for each API version
// and success mode, checked against the required fields and enums of
// HubSpot's schemas (hubspot_schema.h): successes, per-input errors, and
// every kind of rejection.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "simulator/hubspot_schema.h"
#include "simulator/simulator_server.h"

namespace hubspot_simulator {
namespace {

using json = nlohmann::json;
using ::testing::IsEmpty;

constexpr char kToken[] = "sim-token";
constexpr char kScopeless[] = "read-only";
constexpr char kArchiveBody[] = R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]}]})";
// 1 -> 2 is seeded; 8 -> 9 is not, so it is a per-input error.
constexpr char kLabelsBody[] = R"({"inputs":[
    {"from":{"id":"1"},"to":{"id":"2"},"types":[{"associationCategory":"USER_DEFINED","associationTypeId":36}]},
    {"from":{"id":"8"},"to":{"id":"9"},"types":[{"associationCategory":"USER_DEFINED","associationTypeId":36}]}]})";

// The path prefix of each version: "/crm/associations/2026-03" or "/crm/v4/associations".
std::string Prefix(const std::string& version) {
  return version == "v4" ? "/crm/v4/associations" : absl::StrCat("/crm/associations/", version);
}

class SchemaConformanceTest : public ::testing::Test {
 protected:
  void Start(SuccessMode mode) {
    SimulatorOptions options;
    options.threads = 4;
    options.routes.success_mode = mode;
    options.routes.tokens = {kToken};
    options.routes.tokens_without_scopes = {kScopeless};
    options.rate_limits.daily_limit = 1000;
    server_ = std::make_unique<SimulatorServer>(options);
    absl::StatusOr<int> port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
    client_->set_read_timeout(5, 0);
    serving_ = std::thread([this] { EXPECT_TRUE(server_->Serve().ok()); });
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    server_->Stop();
    serving_.join();
  }

  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& token = kToken) {
    return client_->Post(path.c_str(), {{"Authorization", "Bearer " + token}}, body,
                         "application/json");
  }

  void Admin(const std::string& path, const json& body) {
    httplib::Result result = client_->Post(path.c_str(), body.dump(), "application/json");
    ASSERT_TRUE(result && result->status == 200) << path;
  }

  void SeedOnePair() {
    Admin("/_admin/associations", {{"from_type", "contacts"},
                                   {"to_type", "companies"},
                                   {"pairs", json::parse(R"([{"from":"1","to":"2","labels":[
               {"category":"USER_DEFINED","type_id":36}]}])")}});
  }

  // The JSON body of `result`, which must have HTTP `status` and say it is JSON.
  json Body(const httplib::Result& result, int status, const std::string& what) {
    EXPECT_TRUE(result) << what;
    if (!result) return json();
    EXPECT_EQ(result->status, status) << what << ": " << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json;charset=utf-8") << what;
    return json::parse(result->body, nullptr, false);
  }

  void ExpectError(const httplib::Result& result, int status, const std::string& what) {
    EXPECT_THAT(ErrorProblems(Body(result, status, what)), IsEmpty()) << what;
  }

  // The successes of batch/archive and batch/labels/archive (the latter with
  // a per-input error, so a 207) on `version`, answered in `shape`.
  void ExpectSuccesses(const std::string& version, SuccessShape shape) {
    SeedOnePair();
    const std::string prefix = Prefix(version) + "/contacts/companies";
    const ResultItems items =
        shape == SuccessShape::kBatchResponseVoid ? ResultItems::kAnything : ResultItems::kObjects;
    const std::string what = absl::StrCat(version, " batch/archive");
    httplib::Result archived = Post(prefix + "/batch/archive", kArchiveBody);
    if (shape == SuccessShape::kNoContent) {
      ASSERT_TRUE(archived) << what;
      EXPECT_EQ(archived->status, 204) << what;
      EXPECT_EQ(archived->body, "") << what;
    } else {
      const json body = Body(archived, 200, what);
      EXPECT_THAT(BatchResponseProblems(body, items), IsEmpty()) << what << ": " << body;
    }

    SeedOnePair();
    const json partial =
        Body(Post(prefix + "/batch/labels/archive", kLabelsBody), 207, version + " labels 207");
    EXPECT_THAT(BatchResponseProblems(partial, items), IsEmpty()) << version << ": " << partial;
    EXPECT_EQ(partial["numErrors"], 1);
  }

  std::unique_ptr<SimulatorServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::thread serving_;
};

TEST_F(SchemaConformanceTest, PerVersionSuccessesFollowEachVersionsSchema) {
  Start(SuccessMode::kPerVersion);
  ExpectSuccesses("2026-03", SuccessShape::kBatchResponse);
  ExpectSuccesses("2026-09", SuccessShape::kBatchResponseVoid);
  ExpectSuccesses("v4", SuccessShape::kNoContent);
}

TEST_F(SchemaConformanceTest, ForcedSuccessesFollowTheirSchemaOnEveryVersion) {
  for (const auto& [mode, shape] :
       {std::pair{SuccessMode::kNoContent, SuccessShape::kNoContent},
        std::pair{SuccessMode::kBatchResponse, SuccessShape::kBatchResponse},
        std::pair{SuccessMode::kBatchResponseVoid, SuccessShape::kBatchResponseVoid}}) {
    Start(mode);
    for (const char* version : {"2026-03", "2026-09", "v4"}) ExpectSuccesses(version, shape);
    TearDown();
    server_.reset();
  }
}

TEST_F(SchemaConformanceTest, OtherRoutesAnswerBatchResponsesAndAssociationTypes) {
  Start(SuccessMode::kPerVersion);
  for (const char* version : {"2026-03", "2026-09", "v4"}) {
    const std::string prefix = Prefix(version) + "/contacts/companies";
    const json created = Body(Post(prefix + "/batch/associate/default",
                                   R"({"inputs":[{"from":{"id":"1"},"to":{"id":"2"}}]})"),
                              200, "associate/default");
    EXPECT_THAT(BatchResponseProblems(created, ResultItems::kObjects), IsEmpty()) << created;
    const json read =
        Body(Post(prefix + "/batch/read", R"({"inputs":[{"id":"1"}]})"), 200, "batch/read");
    EXPECT_THAT(BatchResponseProblems(read, ResultItems::kObjects), IsEmpty()) << read;
    const json labels = Body(client_->Get((prefix + "/labels").c_str(),
                                          {{"Authorization", absl::StrCat("Bearer ", kToken)}}),
                             200, "labels read");
    EXPECT_THAT(AssociationTypesProblems(labels), IsEmpty()) << labels;
  }
}

TEST_F(SchemaConformanceTest, EveryRejectionIsAnError) {
  Start(SuccessMode::kPerVersion);
  const std::string archive = Prefix("2026-03") + "/contacts/companies/batch/archive";
  const std::string labels = Prefix("2026-03") + "/contacts/companies/batch/labels/archive";
  ExpectError(Post(archive, "{not json"), 400, "invalid JSON");
  ExpectError(Post(labels, R"({"inputs":[{"from":{"id":"1"},"to":{"id":"2"}}]})"), 400,
              "labels without types");
  ExpectError(Post(archive, kArchiveBody, "wrong-token"), 401, "unknown token");
  ExpectError(Post(archive, kArchiveBody, kScopeless), 403, "missing scopes");
  ExpectError(Post(Prefix("v4") + "/contacts/companies/batch/nope", "{}"), 404, "unknown route");
  ExpectError(client_->Get((Prefix("2026-09") + "/contacts/companies/labels").c_str()), 401,
              "labels read without a token");

  Admin("/_admin/faults", {{"retry_after", "1"}});
  for (const char* counter : {"rate_limit_next", "secondly_limit_next", "daily_limit_next"}) {
    Admin("/_admin/faults", {{counter, 1}});
    ExpectError(Post(archive, kArchiveBody), 429, counter);
  }
  for (int status : {400, 404, 409, 500, 502, 503}) {
    Admin("/_admin/faults", {{"fail_next", 1}, {"error_status", status}});
    ExpectError(Post(labels, kLabelsBody), status, absl::StrCat("injected ", status));
  }
  Admin("/_admin/faults", {{"labels_read_fail_next", 1}, {"error_status", 503}});
  ExpectError(client_->Get((Prefix("2026-03") + "/contacts/companies/labels").c_str(),
                           {{"Authorization", absl::StrCat("Bearer ", kToken)}}),
              503, "failed labels read");
}

TEST_F(SchemaConformanceTest, TheRollingLimitsOwn429IsAnError) {
  Start(SuccessMode::kPerVersion);
  const std::string read = Prefix("2026-03") + "/contacts/companies/batch/read";
  bool limited = false;
  for (int i = 0; i < 200 && !limited; ++i) {
    httplib::Result result = Post(read, R"({"inputs":[{"id":"1"}]})");
    ASSERT_TRUE(result);
    if (result->status != 429) continue;
    limited = true;
    ExpectError(result, 429, "window exhausted");
  }
  EXPECT_TRUE(limited);
}

}  // namespace
}  // namespace hubspot_simulator
