#include "simulator/simulator_server.h"

#include <memory>
#include <regex>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace hubspot_simulator {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

constexpr char kArchivePath[] = "/crm/associations/2026-03/contacts/companies/batch/archive";
constexpr char kLabelsPath[] = "/crm/associations/2026-03/contacts/companies/batch/labels/archive";
constexpr char kReadPath[] = "/crm/associations/2026-03/contacts/companies/batch/read";
constexpr char kToken[] = "sim-token";

class SimulatorServerTest : public ::testing::Test {
 protected:
  void Start(SimulatorOptions options) {
    options.threads = 8;
    server_ = std::make_unique<SimulatorServer>(options);
    absl::StatusOr<int> port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
    serving_ = std::thread([this] { EXPECT_TRUE(server_->Serve().ok()); });
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    server_->Stop();
    serving_.join();
  }

  std::unique_ptr<httplib::Client> NewClient() const {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client->set_read_timeout(5, 0);
    return client;
  }

  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& token = kToken) {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return client().Post(path.c_str(), headers, body, "application/json");
  }

  json AdminGet(const std::string& path) {
    httplib::Result result = client().Get(path.c_str());
    EXPECT_TRUE(result) << path;
    EXPECT_EQ(result->status, 200) << result->body;
    return json::parse(result->body, nullptr, false);
  }

  void AdminPost(const std::string& path, const json& body) {
    httplib::Result result = client().Post(path.c_str(), body.dump(), "application/json");
    ASSERT_TRUE(result) << path;
    ASSERT_EQ(result->status, 200) << result->body;
  }

  void Seed(const json& pairs) {
    AdminPost("/_admin/associations",
              {{"from_type", "contacts"}, {"to_type", "companies"}, {"pairs", pairs}});
  }

  json Associations() {
    return AdminGet("/_admin/associations?from_type=contacts&to_type=companies")["associations"];
  }

  httplib::Client& client() {
    if (client_ == nullptr) client_ = NewClient();
    return *client_;
  }

  std::unique_ptr<SimulatorServer> server_;
  std::thread serving_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(SimulatorServerTest, ArchiveRemovesSeededAssociations) {
  Start(SimulatorOptions());
  Seed(json::parse(R"([{"from":"101","to":"201"},{"from":"101","to":"202"},
                       {"from":"102","to":"203"}])"));

  httplib::Result archived = Post(kArchivePath, R"({"inputs":[
      {"from":{"id":"101"},"to":[{"id":"201"}]},
      {"from":{"id":"102"},"to":[{"id":"203"},{"id":"999"}]}]})");
  ASSERT_TRUE(archived);
  EXPECT_EQ(archived->status, 200);  // 2026-03's spec: a BatchResponse.
  EXPECT_EQ(json::parse(archived->body)["results"], json::parse(R"([
      {"from":{"id":"101"},"to":[{"id":"201"}]},
      {"from":{"id":"102"},"to":[{"id":"203"},{"id":"999"}]}])"));
  EXPECT_EQ(archived->get_header_value("X-HubSpot-RateLimit-Max"), "190");
  EXPECT_EQ(archived->get_header_value("X-HubSpot-RateLimit-Remaining"), "189");
  EXPECT_EQ(archived->get_header_value("X-HubSpot-RateLimit-Interval-Milliseconds"), "10000");
  EXPECT_FALSE(archived->has_header("X-HubSpot-RateLimit-Daily"));

  EXPECT_EQ(Associations(), json::parse(R"([{"from":"101","to":"202"}])"));
  httplib::Result read = Post(kReadPath, R"({"inputs":[{"id":"101"},{"id":"102"}]})");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200);
  EXPECT_EQ(read->get_header_value("Content-Type"), "application/json;charset=utf-8");
  const json body = json::parse(read->body);
  EXPECT_EQ(body["status"], "COMPLETE");
  EXPECT_EQ(body["results"], json::parse(R"([{"from":{"id":"101"},"to":[
      {"toObjectId":202,"associationTypes":[
          {"category":"HUBSPOT_DEFINED","typeId":279,"label":null}]}]}])"));

  // Archiving again is harmless.
  EXPECT_EQ(Post(kArchivePath, R"({"inputs":[{"from":{"id":"101"},"to":[{"id":"201"}]}]})")->status,
            200);

  const json stats = AdminGet("/_admin/stats");
  EXPECT_EQ(stats["requests"], 3);
  EXPECT_EQ(stats["archive_requests"], 2);
  EXPECT_EQ(stats["archive_inputs"], 3);
  EXPECT_EQ(stats["archived_pairs"], 2);
  EXPECT_EQ(stats["max_inputs_seen"], 2);
  EXPECT_EQ(stats["authorization_headers_seen"], 3);
  EXPECT_EQ(stats["responses_by_status"], json::parse(R"({"200":3})"));
}

TEST_F(SimulatorServerTest, EachVersionAnswersAsItsSpecSays) {
  Start(SimulatorOptions());
  const std::string body = R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]}]})";
  const std::regex time_format(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");

  httplib::Result batch_response = Post(kArchivePath, body);
  ASSERT_TRUE(batch_response);
  EXPECT_EQ(batch_response->status, 200);
  json answer = json::parse(batch_response->body);
  EXPECT_EQ(answer["status"], "COMPLETE");
  EXPECT_EQ(answer["results"], json::parse(R"([{"from":{"id":"1"},"to":[{"id":"2"}]}])"));
  for (const char* field : {"requestedAt", "startedAt", "completedAt"}) {
    EXPECT_TRUE(std::regex_match(answer[field].get<std::string>(), time_format)) << answer[field];
  }

  httplib::Result void_response =
      Post("/crm/associations/2026-09/contacts/companies/batch/archive", body);
  ASSERT_TRUE(void_response);
  EXPECT_EQ(void_response->status, 200);
  answer = json::parse(void_response->body);
  EXPECT_EQ(answer["status"], "COMPLETE");
  EXPECT_EQ(answer["results"], json::array());

  httplib::Result no_content = Post("/crm/v4/associations/0-1/0-2/batch/archive", body);
  ASSERT_TRUE(no_content);
  EXPECT_EQ(no_content->status, 204);
  EXPECT_EQ(no_content->body, "");
}

TEST_F(SimulatorServerTest, AForcedSuccessModeAppliesToEveryVersion) {
  SimulatorOptions options;
  options.routes.success_mode = SuccessMode::kBatchResponseVoid;
  Start(options);
  const std::string body = R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]}]})";
  for (const char* path : {"/crm/v4/associations/0-1/0-2/batch/archive", kArchivePath}) {
    httplib::Result archived = Post(path, body);
    ASSERT_TRUE(archived);
    EXPECT_EQ(archived->status, 200) << path;
    EXPECT_EQ(json::parse(archived->body)["results"], json::array()) << path;
  }
}

TEST_F(SimulatorServerTest, AssociateDefaultAddsAndLegacyPathsShareTheStore) {
  Start(SimulatorOptions());
  httplib::Result created = Post("/crm/v4/associations/0-1/0-2/batch/associate/default",
                                 R"({"inputs":[{"from":{"id":"5"},"to":{"id":"6"}},
                         {"from":{"id":"5"},"to":{"id":"7"}}]})");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 200);
  EXPECT_EQ(json::parse(created->body)["results"].size(), 2u);
  EXPECT_EQ(Associations(), json::parse(R"([{"from":"5","to":"6"},
                                            {"from":"5","to":"7"}])"));
  EXPECT_EQ(Post("/crm/associations/2026-09/contacts/companies/batch/archive",
                 R"({"inputs":[{"from":{"id":"5"},"to":[{"id":"6"}]}]})")
                ->status,
            200);
  EXPECT_EQ(Associations(), json::parse(R"([{"from":"5","to":"7"}])"));
}

TEST_F(SimulatorServerTest, RejectsMissingUnknownAndScopelessTokens) {
  SimulatorOptions options;
  options.routes.tokens_without_scopes = {"read-only"};
  Start(options);
  const std::string body = R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]}]})";

  for (const char* token : {"", "wrong-token"}) {
    httplib::Result result = Post(kArchivePath, body, token);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 401) << token;
    const json error = json::parse(result->body);
    EXPECT_EQ(error["status"], "error");
    EXPECT_EQ(error["category"], "INVALID_AUTHENTICATION");
    EXPECT_THAT(error["message"].get<std::string>(),
                HasSubstr("Authentication credentials not found"));
    EXPECT_EQ(result->get_header_value("X-HubSpot-RateLimit-Remaining"), "190");
  }

  httplib::Result forbidden = Post(kArchivePath, body, "read-only");
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->status, 403);
  const json error = json::parse(forbidden->body);
  EXPECT_EQ(error["category"], "MISSING_SCOPES");
  EXPECT_EQ(error["errors"][0]["context"]["requiredGranularScopes"][0],
            "crm.objects.contacts.write");

  const json stats = AdminGet("/_admin/stats");
  EXPECT_EQ(stats["requests"], 3);
  EXPECT_EQ(stats["authorization_headers_seen"], 2);
  EXPECT_EQ(stats["responses_by_status"], json::parse(R"({"401":2,"403":1})"));
}

TEST_F(SimulatorServerTest, TheLimitCanBeEnforcedWithoutHeaders) {
  SimulatorOptions options;
  options.routes.tokens = {kToken};
  options.rate_limits.window_limit = 1;
  options.rate_limits.window_headers = false;
  Start(options);
  const std::string body = R"({"inputs":[{"id":"1"}]})";
  httplib::Result first = Post(kReadPath, body);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_FALSE(first->has_header("X-HubSpot-RateLimit-Max"));
  httplib::Result limited = Post(kReadPath, body);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_FALSE(limited->has_header("X-HubSpot-RateLimit-Remaining"));
}

TEST_F(SimulatorServerTest, AdvertisedLimitCanExceedTheEnforcedOne) {
  SimulatorOptions options;
  options.routes.tokens = {kToken};
  options.rate_limits.window_limit = 2;
  options.rate_limits.advertised_window_limit = 5;
  Start(options);
  const std::string body = R"({"inputs":[{"id":"1"}]})";
  for (const char* remaining : {"4", "3"}) {
    httplib::Result result = Post(kReadPath, body);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->get_header_value("X-HubSpot-RateLimit-Max"), "5");
    EXPECT_EQ(result->get_header_value("X-HubSpot-RateLimit-Remaining"), remaining);
  }
  httplib::Result limited = Post(kReadPath, body);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->get_header_value("X-HubSpot-RateLimit-Remaining"), "3");
}

TEST_F(SimulatorServerTest, RollingLimitAnswers429WithHeaders) {
  SimulatorOptions options;
  options.routes.tokens = {kToken, "other-token"};
  options.rate_limits.window_limit = 3;
  options.rate_limits.daily_limit = 100;
  Start(options);
  const std::string body = R"({"inputs":[{"id":"1"}]})";
  for (const char* remaining : {"2", "1", "0"}) {
    httplib::Result result = Post(kReadPath, body);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->get_header_value("X-HubSpot-RateLimit-Remaining"), remaining);
  }
  AdminPost("/_admin/faults", {{"retry_after", "7"}});
  httplib::Result limited = Post(kReadPath, body);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->get_header_value("X-HubSpot-RateLimit-Max"), "3");
  EXPECT_EQ(limited->get_header_value("X-HubSpot-RateLimit-Remaining"), "0");
  EXPECT_EQ(limited->get_header_value("X-HubSpot-RateLimit-Daily"), "100");
  EXPECT_EQ(limited->get_header_value("X-HubSpot-RateLimit-Daily-Remaining"), "97");
  EXPECT_EQ(limited->get_header_value("Retry-After"), "7");
  const json error = json::parse(limited->body);
  EXPECT_EQ(error["errorType"], "RATE_LIMIT");
  EXPECT_EQ(error["policyName"], "TEN_SECONDLY_ROLLING");
  EXPECT_EQ(AdminGet("/_admin/stats")["rate_limited"], 1);

  // Another token has its own budget.
  httplib::Result other = Post(kReadPath, body, "other-token");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  EXPECT_EQ(other->get_header_value("X-HubSpot-RateLimit-Remaining"), "2");
}

TEST_F(SimulatorServerTest, DailyLimitAnswers429Daily) {
  SimulatorOptions options;
  options.rate_limits.daily_limit = 1;
  Start(options);
  const std::string body = R"({"inputs":[{"id":"1"}]})";
  EXPECT_EQ(Post(kReadPath, body)->status, 200);
  httplib::Result limited = Post(kReadPath, body);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(json::parse(limited->body)["policyName"], "DAILY");
  EXPECT_EQ(limited->get_header_value("X-HubSpot-RateLimit-Daily-Remaining"), "0");
}

TEST_F(SimulatorServerTest, FailNextFailsOnceThenArchives) {
  Start(SimulatorOptions());
  Seed(json::parse(R"([{"from":"1","to":"2"}])"));
  AdminPost("/_admin/faults", {{"fail_next", 1}, {"retry_after", "2"}});
  EXPECT_EQ(AdminGet("/_admin/faults")["fail_next"], 1);
  const std::string body = R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]}]})";

  httplib::Result failed = Post(kArchivePath, body);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 503);
  EXPECT_EQ(failed->get_header_value("Retry-After"), "2");
  EXPECT_EQ(json::parse(failed->body)["message"], "Internal error");
  EXPECT_EQ(Associations().size(), 1u);

  EXPECT_EQ(Post(kArchivePath, body)->status, 200);
  EXPECT_EQ(Associations(), json::array());
  EXPECT_EQ(AdminGet("/_admin/faults")["fail_next"], 0);
}

TEST_F(SimulatorServerTest, UnauthenticatedRequestsDoNotConsumeFaults) {
  Start(SimulatorOptions());
  AdminPost("/_admin/faults", {{"fail_next", 1}});
  const std::string body = R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]}]})";
  EXPECT_EQ(Post(kArchivePath, body, "nope")->status, 401);
  EXPECT_EQ(Post(kArchivePath, body)->status, 503);
}

TEST_F(SimulatorServerTest, BrokenAnswers) {
  Start(SimulatorOptions());
  const std::string body = R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]}]})";
  AdminPost("/_admin/faults", {{"html_error_next", 1},
                               {"malformed_next", 1},
                               {"drop_next", 1},
                               {"rate_limit_next", 1},
                               {"secondly_limit_next", 1},
                               {"bodyless_rate_limit_next", 1},
                               {"daily_limit_next", 1},
                               {"retry_after", "1"}});

  httplib::Result rolling = Post(kArchivePath, body);
  ASSERT_TRUE(rolling);
  EXPECT_EQ(rolling->status, 429);
  EXPECT_EQ(json::parse(rolling->body)["policyName"], "TEN_SECONDLY_ROLLING");

  httplib::Result secondly = Post(kArchivePath, body);
  ASSERT_TRUE(secondly);
  EXPECT_EQ(secondly->status, 429);
  EXPECT_EQ(json::parse(secondly->body)["policyName"], "SECONDLY");
  EXPECT_EQ(secondly->get_header_value("Retry-After"), "1");

  httplib::Result bodyless = Post(kArchivePath, body);
  ASSERT_TRUE(bodyless);
  EXPECT_EQ(bodyless->status, 429);
  EXPECT_EQ(bodyless->body, "");
  EXPECT_EQ(bodyless->get_header_value("Retry-After"), "1");

  httplib::Result daily = Post(kArchivePath, body);
  ASSERT_TRUE(daily);
  EXPECT_EQ(daily->status, 429);
  EXPECT_EQ(json::parse(daily->body)["message"], "You have reached your daily limit.");

  httplib::Result html = Post(kArchivePath, body);
  ASSERT_TRUE(html);
  EXPECT_EQ(html->status, 502);
  EXPECT_EQ(html->get_header_value("Content-Type"), "text/html;charset=utf-8");
  EXPECT_EQ(html->body, "<html><body>Bad gateway</body></html>");

  httplib::Result dropped = Post(kArchivePath, body);
  EXPECT_FALSE(dropped);

  httplib::Result malformed = Post(kArchivePath, body);
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 200);
  EXPECT_TRUE(json::parse(malformed->body, nullptr, false).is_discarded());

  EXPECT_EQ(Post(kArchivePath, body)->status, 200);
  const json stats = AdminGet("/_admin/stats");
  EXPECT_EQ(stats["dropped"], 1);
  EXPECT_EQ(stats["malformed"], 1);
  EXPECT_EQ(stats["rate_limited"], 4);
  EXPECT_EQ(stats["archive_requests"], 8);
  EXPECT_GT(stats["first_archive_request_unix_us"].get<int64_t>(), 0);
  EXPECT_GE(stats["last_archive_request_unix_us"].get<int64_t>(),
            stats["first_archive_request_unix_us"].get<int64_t>());
}

TEST_F(SimulatorServerTest, ResetReleasesAHangingRequest) {
  Start(SimulatorOptions());
  AdminPost("/_admin/faults", {{"hang_next", 1}, {"hang_ms", 60000}});
  Seed(json::parse(R"([{"from":"1","to":"2"}])"));
  const absl::Time start = absl::Now();
  int status = 0;
  std::thread hanging([&] {
    httplib::Headers headers = {{"Authorization", "Bearer sim-token"}};
    std::unique_ptr<httplib::Client> client = NewClient();
    httplib::Result result =
        client->Post(kArchivePath, headers, R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]}]})",
                     "application/json");
    status = result ? result->status : -1;
  });
  while (AdminGet("/_admin/stats")["hung"] != 1) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  AdminPost("/_admin/reset", json::object());
  hanging.join();
  EXPECT_EQ(status, 200);  // Released, then answered normally.
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(SimulatorServerTest, StopReleasesAHangingRequest) {
  Start(SimulatorOptions());
  AdminPost("/_admin/faults", {{"hang_rate", 1}});
  std::thread hanging([&] {
    NewClient()->Post(kReadPath, {{"Authorization", "Bearer sim-token"}},
                      R"({"inputs":[{"id":"1"}]})", "application/json");
  });
  while (AdminGet("/_admin/stats")["hung"] != 1) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const absl::Time start = absl::Now();
  server_->Stop();
  serving_.join();
  hanging.join();
  server_.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(SimulatorServerTest, ValidationErrors) {
  SimulatorOptions options;
  options.routes.max_archive_inputs = 1;
  Start(options);
  struct Case {
    std::string path;
    std::string body;
    std::string in;
  };
  const Case cases[] = {
      {kArchivePath, "{not json", "body"},
      {kArchivePath, R"({"inputs":[{"from":{"id":"1x"},"to":[{"id":"2"}]}]})", "inputs[0].from.id"},
      {kArchivePath,
       R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]},
                     {"from":{"id":"3"},"to":[{"id":"4"}]}]})",
       "inputs"},
      {"/crm/associations/2026-03/con%20tacts/companies/batch/archive",
       R"({"inputs":[{"from":{"id":"1"},"to":[{"id":"2"}]}]})", "fromObjectType"},
  };
  for (const Case& c : cases) {
    httplib::Result result = Post(c.path, c.body);
    ASSERT_TRUE(result) << c.body;
    EXPECT_EQ(result->status, 400) << c.body;
    const json error = json::parse(result->body);
    EXPECT_EQ(error["category"], "VALIDATION_ERROR");
    EXPECT_EQ(error["errors"][0]["in"], c.in);
  }
  EXPECT_EQ(AdminGet("/_admin/stats")["max_inputs_seen"], 2);
}

TEST_F(SimulatorServerTest, LabelsArchiveRemovesOnlyTheListedLabels) {
  Start(SimulatorOptions());
  Seed(json::parse(R"([
      {"from":"101","to":"201","labels":[{"category":"USER_DEFINED","type_id":36},
                                         {"category":"HUBSPOT_DEFINED","type_id":1}]},
      {"from":"102","to":"202","labels":[{"category":"USER_DEFINED","type_id":36}]}])"));
  httplib::Result archived = Post(kLabelsPath, R"({"inputs":[{"from":{"id":"101"},
      "to":{"id":"201"},"types":[{"associationCategory":"USER_DEFINED","associationTypeId":36}]}]})");
  ASSERT_TRUE(archived);
  EXPECT_EQ(archived->status, 200);
  EXPECT_EQ(Associations(), json::parse(R"([
      {"from":"101","to":"201","labels":[{"category":"HUBSPOT_DEFINED","type_id":1}]},
      {"from":"102","to":"202","labels":[{"category":"USER_DEFINED","type_id":36}]}])"));
  EXPECT_EQ(AdminGet("/_admin/stats")["archived_labels"], 1);
  EXPECT_EQ(AdminGet("/_admin/stats")["label_archive_requests"], 1);

  // batch/archive removes the pair with all its labels.
  httplib::Result whole =
      Post(kArchivePath, R"({"inputs":[{"from":{"id":"102"},"to":[{"id":"202"}]}]})");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
  EXPECT_EQ(Associations().size(), 1u);
}

TEST_F(SimulatorServerTest, RemovingTheUnlabeledTypeRemovesThePairWithAllItsLabels) {
  Start(SimulatorOptions());
  Seed(json::parse(R"([
      {"from":"101","to":"201","labels":[{"category":"USER_DEFINED","type_id":36}]},
      {"from":"101","to":"202","labels":[{"category":"USER_DEFINED","type_id":36}]}])"));
  // 279 is the unlabeled type of contacts to companies.
  httplib::Result archived = Post(kLabelsPath, R"({"inputs":[{"from":{"id":"101"},
      "to":{"id":"201"},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":279}]}]})");
  ASSERT_TRUE(archived);
  EXPECT_EQ(archived->status, 200);
  EXPECT_EQ(Associations(), json::parse(R"([
      {"from":"101","to":"202","labels":[{"category":"USER_DEFINED","type_id":36}]}])"));
  const json stats = AdminGet("/_admin/stats");
  EXPECT_EQ(stats["archived_pairs"], 1);
  EXPECT_EQ(stats["archived_labels"], 0);

  // The other direction has its own unlabeled type: 279 there is only a label.
  AdminPost("/_admin/associations", {{"from_type", "companies"},
                                     {"to_type", "contacts"},
                                     {"pairs", json::parse(R"([{"from":"201","to":"101"}])")}});
  EXPECT_EQ(Post("/crm/associations/2026-03/companies/contacts/batch/labels/archive",
                 R"({"inputs":[{"from":{"id":"201"},"to":{"id":"101"},
                     "types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":279}]}]})")
                ->status,
            200);
  EXPECT_EQ(AdminGet("/_admin/associations?from_type=companies&to_type=contacts")["associations"],
            json::parse(R"([{"from":"201","to":"101"}])"));
}

TEST_F(SimulatorServerTest, LabelsReadListsTheUnlabeledTypeFirst) {
  Start(SimulatorOptions());
  Seed(json::parse(R"([
      {"from":"101","to":"201","labels":[{"category":"USER_DEFINED","type_id":36}]},
      {"from":"102","to":"202","labels":[{"category":"WORK","type_id":7},
                                         {"category":"USER_DEFINED","type_id":36}]}])"));
  for (const char* path : {"/crm/associations/2026-03/contacts/companies/labels",
                           "/crm/v4/associations/0-1/0-2/labels"}) {
    httplib::Result labels = client().Get(path, {{"Authorization", "Bearer sim-token"}});
    ASSERT_TRUE(labels) << path;
    EXPECT_EQ(labels->status, 200) << path;
    EXPECT_EQ(json::parse(labels->body), json::parse(R"({"results":[
        {"category":"HUBSPOT_DEFINED","typeId":279,"label":null},
        {"category":"USER_DEFINED","typeId":36,"label":"Label 36"},
        {"category":"WORK","typeId":7,"label":"Label 7"}]})"))
        << path;
  }
  httplib::Result read = Post(kReadPath, R"({"inputs":[{"id":"101"}]})");
  ASSERT_TRUE(read);
  EXPECT_EQ(json::parse(read->body)["results"][0]["to"][0]["associationTypes"],
            json::parse(R"([{"category":"HUBSPOT_DEFINED","typeId":279,"label":null},
                            {"category":"USER_DEFINED","typeId":36,"label":"Label 36"}])"));

  // Labels reads have a fault counter of their own, and need a token.
  AdminPost("/_admin/faults", {{"labels_read_fail_next", 1}});
  httplib::Result failed = client().Get("/crm/associations/2026-03/contacts/companies/labels",
                                        {{"Authorization", "Bearer sim-token"}});
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 503);
  EXPECT_EQ(json::parse(failed->body)["category"], "INTERNAL_ERROR");
  EXPECT_EQ(client().Get("/crm/associations/2026-03/contacts/companies/labels")->status, 401);
  EXPECT_EQ(AdminGet("/_admin/stats")["labels_reads"], 4);
}

TEST_F(SimulatorServerTest, UnknownRoutesGetHubSpotsErrorBody) {
  Start(SimulatorOptions());
  httplib::Result missing = Post("/crm/associations/2026-03/contacts/companies/batch/nope", "{}");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  const json error = json::parse(missing->body);
  EXPECT_EQ(error["category"], "OBJECT_NOT_FOUND");
  EXPECT_TRUE(error.contains("correlationId"));
  // Admin routes keep their own bodies.
  EXPECT_EQ(client().Get("/_admin/nope")->body, "");
}

TEST_F(SimulatorServerTest, LabelsArchiveOfUnassociatedRecordsIsAPerInputError) {
  Start(SimulatorOptions());
  Seed(json::parse(R"([{"from":"101","to":"201","labels":[{"category":"WORK","type_id":7}]}])"));
  httplib::Result answer = Post(kLabelsPath, R"({"inputs":[
      {"from":{"id":"101"},"to":{"id":"201"},"types":[{"associationCategory":"WORK","associationTypeId":7}]},
      {"from":{"id":"103"},"to":{"id":"203"},"types":[{"associationCategory":"WORK","associationTypeId":7}]}]})");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 207);
  const json body = json::parse(answer->body);
  EXPECT_EQ(body["status"], "COMPLETE");
  EXPECT_EQ(body["numErrors"], 1);
  EXPECT_EQ(body["errors"][0]["category"], "OBJECT_NOT_FOUND");
  EXPECT_EQ(body["errors"][0]["context"]["fromIds"], json::array({"103"}));
  EXPECT_EQ(body["errors"][0]["errors"], json::array());
  EXPECT_EQ(body["errors"][0]["links"], json::object());
  EXPECT_EQ(Associations(), json::parse(R"([{"from":"101","to":"201"}])"));
}

TEST_F(SimulatorServerTest, ArchiveCanAnswerMissingPairsAsPerInputErrors) {
  SimulatorOptions options;
  options.routes.archive_missing_as_errors = true;
  Start(options);
  Seed(json::parse(R"([{"from":"101","to":"201"},{"from":"101","to":"202"}])"));
  httplib::Result answer = Post(kArchivePath, R"({"inputs":[
      {"from":{"id":"101"},"to":[{"id":"201"},{"id":"203"}]},
      {"from":{"id":"104"},"to":[{"id":"204"}]}]})");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 207);
  const json body = json::parse(answer->body);
  EXPECT_EQ(body["results"], json::parse(R"([{"from":{"id":"101"},"to":[{"id":"201"}]}])"));
  EXPECT_EQ(body["numErrors"], 2);
  EXPECT_EQ(body["errors"][0]["context"], json::parse(R"({"fromIds":["101"],"toIds":["203"]})"));
  EXPECT_EQ(body["errors"][1]["context"], json::parse(R"({"fromIds":["104"],"toIds":["204"]})"));
  EXPECT_EQ(Associations(), json::parse(R"([{"from":"101","to":"202"}])"));
  EXPECT_EQ(AdminGet("/_admin/stats")["archived_pairs"], 1);
}

TEST_F(SimulatorServerTest, LabelsArchiveValidationErrors) {
  Start(SimulatorOptions());
  httplib::Result unknown = Post(kLabelsPath, R"({"inputs":[{"from":{"id":"1"},"to":{"id":"2"},
      "types":[{"associationCategory":"FRIENDS","associationTypeId":1}]}]})");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  const json body = json::parse(unknown->body);
  EXPECT_EQ(body["category"], "VALIDATION_ERROR");
  EXPECT_EQ(body["errors"][0]["in"], "inputs[0].types[0].associationCategory");
  httplib::Result missing =
      Post(kLabelsPath, R"({"inputs":[{"from":{"id":"1"},"to":{"id":"2"}}]})");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(json::parse(missing->body)["errors"][0]["in"], "inputs[0].types");
}

TEST_F(SimulatorServerTest, AdminRejectsBadInput) {
  Start(SimulatorOptions());
  const std::pair<const char*, const char*> bad_posts[] = {
      {"/_admin/faults", R"({"fail_nxt":1})"},
      {"/_admin/faults", R"({"error_rate":2})"},
      {"/_admin/faults", "nope"},
      {"/_admin/associations", R"({"from_type":"contacts"})"},
      {"/_admin/associations",
       R"({"from_type":"contacts","to_type":"companies",
           "pairs":[{"from":"1","to":2}]})"},
  };
  for (const auto& [path, body] : bad_posts) {
    httplib::Result result = client().Post(path, body, "application/json");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 400) << body;
    EXPECT_TRUE(json::parse(result->body).contains("error")) << body;
  }
  EXPECT_EQ(client().Get("/_admin/associations?from_type=contacts")->status, 400);
}

TEST_F(SimulatorServerTest, ResetClearsStoreCountersAndFaults) {
  Start(SimulatorOptions());
  Seed(json::parse(R"([{"from":"1","to":"2"}])"));
  AdminPost("/_admin/faults", {{"fail_next", 3}});
  Post(kReadPath, R"({"inputs":[{"id":"1"}]})");
  AdminPost("/_admin/reset", json::object());
  EXPECT_EQ(Associations(), json::array());
  EXPECT_EQ(AdminGet("/_admin/stats")["requests"], 0);
  EXPECT_EQ(AdminGet("/_admin/faults")["fail_next"], 0);
}

TEST_F(SimulatorServerTest, BindingAPortInUseFails) {
  Start(SimulatorOptions());
  SimulatorServer second{SimulatorOptions()};
  EXPECT_FALSE(second.Bind("127.0.0.1", port_).ok());
}

TEST_F(SimulatorServerTest, StopBeforeServeStillStops) {
  SimulatorServer server{SimulatorOptions()};
  ASSERT_TRUE(server.Bind("127.0.0.1", 0).ok());
  server.Stop();
  EXPECT_TRUE(server.Serve().ok());
}

}  // namespace
}  // namespace hubspot_simulator
