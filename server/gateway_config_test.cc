#include "server/gateway_config.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/api_flags.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kToken[] = "pat-na1-11111111-2222-3333-4444-555555555555";

using CommandLine = std::vector<std::pair<std::string, std::string>>;

// Sets flags by name through their own parsers, as the command line would;
// every flag returns to its default when the test ends.
class GatewayConfigTest : public testing::Test {
 protected:
  absl::StatusOr<GatewayConfig> Build(const CommandLine& command_line = {}) {
    for (const auto& [name, value] : command_line) {
      absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
      EXPECT_NE(flag, nullptr) << name;
      std::string error;
      EXPECT_TRUE(flag->ParseFrom(value, &error)) << name << ": " << error;
    }
    return GatewayConfigFromFlags([this](const char* name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    });
  }

  std::string WriteTokenFile(const std::string& contents) {
    const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/token";
    std::ofstream(path) << contents;
    return path;
  }

  absl::FlagSaver saved_flags_;
  std::map<std::string, std::string> env_;
};

TEST_F(GatewayConfigTest, DefaultsWithTokenFromEnvironment) {
  env_["HUBSPOT_ACCESS_TOKEN"] = std::string(kToken) + "\n";
  const auto config = Build();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server.listen, "127.0.0.1:50051");
  EXPECT_EQ(config->service.auth.mode(), AuthMode::kGatewayToken);
  EXPECT_EQ(config->service.auth.TokenFor({}).value(), kToken);
  EXPECT_EQ(config->dispatch.upstream_timeout, absl::Seconds(30));
  EXPECT_EQ(config->dispatch.max_inputs_per_request, 100);
  EXPECT_EQ(config->dispatch.retry.max_attempts, 4);
  EXPECT_EQ(config->dispatch.backoff.initial_delay, absl::Milliseconds(200));
  EXPECT_EQ(config->dispatch.budget.interval, absl::Seconds(10));
  EXPECT_EQ(config->dispatch.budget.max_requests, 100);
  EXPECT_EQ(config->dispatch.budget.bulk_share, 0.8);
  EXPECT_EQ(config->dispatch.coalesce_window, absl::ZeroDuration());
  EXPECT_EQ(LogFormatFromFlags(), LogFormat::kText);
  EXPECT_EQ(config->archiver.endpoint.BatchUrl("contacts", "0-2", "batch/archive"),
            "https://api.hubapi.com/crm/associations/2026-03/contacts/0-2/batch/archive");
  EXPECT_FALSE(config->budget_store.has_value());
  EXPECT_EQ(config->labels_cache.ttl, absl::Minutes(10));
}

TEST_F(GatewayConfigTest, BudgetStoreWithItsPasswordFromEnvironmentOrFile) {
  env_["HUBSPOT_ACCESS_TOKEN"] = kToken;
  env_["REDIS_PASSWORD"] = "from-env";
  auto config = Build({{"budget_store", "redis://10.1.2.3:6380/2"},
                       {"budget_store_replicas", "4"},
                       {"budget_store_timeout", "100ms"}});
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->budget_store.has_value());
  EXPECT_EQ(config->budget_store->redis.host, "10.1.2.3");
  EXPECT_EQ(config->budget_store->redis.port, 6380);
  EXPECT_EQ(config->budget_store->redis.db, 2);
  EXPECT_EQ(config->budget_store->redis.password, "from-env");
  EXPECT_EQ(config->budget_store->redis.command_timeout, absl::Milliseconds(100));
  EXPECT_EQ(config->budget_store->replicas, 4);
  config = Build({{"budget_store_password_file", WriteTokenFile("from-file\n")}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->budget_store->redis.password, "from-file");
}

TEST_F(GatewayConfigTest, EachFlagReachesItsComponent) {
  env_["HUBSPOT_ACCESS_TOKEN"] = kToken;
  const auto config = Build({{"listen", "0.0.0.0:0"},
                             {"shutdown_grace", "3s"},
                             {"drain_delay", "1500ms"},
                             {"metrics_listen", "127.0.0.1:0"},
                             {"log_format", "json"},
                             {"hubspot_base_url", "http://127.0.0.1:8080/"},
                             {"hubspot_api_version", "v4"},
                             {"upstream_timeout", "2s"},
                             {"max_inputs_per_request", "10"},
                             {"max_concurrent_requests_per_call", "3"},
                             {"max_attempts", "2"},
                             {"initial_backoff", "50ms"},
                             {"max_backoff", "1s"},
                             {"rate_limit_per_10s", "120"},
                             {"bulk_budget_share", "0.5"},
                             {"max_retry_after", "20s"},
                             {"coalesce_window", "5ms"},
                             {"max_upstream_connections", "7"},
                             {"max_upstream_response_bytes", "100000"},
                             {"max_in_flight_calls", "9"},
                             {"max_inputs_per_call", "500"},
                             {"association_labels_ttl", "90s"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server.listen, "0.0.0.0:0");
  EXPECT_EQ(config->server.shutdown_grace, absl::Seconds(3));
  EXPECT_EQ(config->server.drain_delay, absl::Milliseconds(1500));
  EXPECT_EQ(config->server.metrics_listen, "127.0.0.1:0");
  EXPECT_EQ(LogFormatFromFlags(), LogFormat::kJson);
  EXPECT_EQ(config->archiver.endpoint.BatchUrl("contacts", "companies", "batch/archive"),
            "http://127.0.0.1:8080/crm/v4/associations/contacts/companies/batch/archive");
  EXPECT_EQ(config->dispatch.upstream_timeout, absl::Seconds(2));
  EXPECT_EQ(config->dispatch.max_inputs_per_request, 10);
  EXPECT_EQ(config->archiver.max_concurrent_requests_per_call, 3);
  EXPECT_EQ(config->dispatch.retry.max_attempts, 2);
  EXPECT_EQ(config->dispatch.backoff.initial_delay, absl::Milliseconds(50));
  EXPECT_EQ(config->dispatch.backoff.max_delay, absl::Seconds(1));
  EXPECT_EQ(config->dispatch.budget.max_requests, 120);
  EXPECT_EQ(config->dispatch.budget.bulk_share, 0.5);
  EXPECT_EQ(config->dispatch.budget.max_pause, absl::Seconds(20));
  EXPECT_EQ(config->dispatch.coalesce_window, absl::Milliseconds(5));
  EXPECT_EQ(config->transport.max_connections_per_host, 7);
  EXPECT_EQ(config->transport.max_response_bytes, 100000u);
  EXPECT_EQ(config->service.max_in_flight_calls, 9);
  EXPECT_EQ(config->service.max_inputs_per_call, 500);
  EXPECT_EQ(config->labels_cache.ttl, absl::Seconds(90));
}

TEST_F(GatewayConfigTest, TokenFromFileWhenEnvironmentIsUnset) {
  const auto config =
      Build({{"hubspot_token_file", WriteTokenFile(std::string("  ") + kToken + "\n")}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->service.auth.TokenFor({}).value(), kToken);
}

TEST_F(GatewayConfigTest, RefusesToStartWithoutAToken) {
  const auto config = Build();
  EXPECT_EQ(config.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("HUBSPOT_ACCESS_TOKEN"));
}

TEST_F(GatewayConfigTest, UnreadableTokenFileIsNamed) {
  EXPECT_THAT(std::string(Build({{"hubspot_token_file", "/nonexistent/token"}}).status().message()),
              HasSubstr("/nonexistent/token"));
}

TEST_F(GatewayConfigTest, MalformedTokenIsRefusedWithoutQuotingIt) {
  env_["HUBSPOT_ACCESS_TOKEN"] = "secret-part\r\nX-Injected: 1";
  const auto config = Build();
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), Not(HasSubstr("secret-part")));
}

TEST_F(GatewayConfigTest, PassthroughNeedsNoToken) {
  const auto config = Build({{"auth_mode", "passthrough"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->service.auth.mode(), AuthMode::kPassthrough);
}

TEST_F(GatewayConfigTest, EnumFlagsRefuseUnknownValuesWhenParsed) {
  for (const char* name : {"auth_mode", "log_format"}) {
    std::string error;
    EXPECT_FALSE(absl::FindCommandLineFlag(name)->ParseFrom("magic", &error)) << name;
    EXPECT_THAT(error, HasSubstr("must be")) << name;
  }
}

struct BadFlag {
  CommandLine command_line;
  const char* message;
};

class GatewayConfigRejectsTest : public GatewayConfigTest,
                                 public testing::WithParamInterface<BadFlag> {};

TEST_P(GatewayConfigRejectsTest, WithAMessageNamingTheFlag) {
  env_["HUBSPOT_ACCESS_TOKEN"] = kToken;
  const auto config = Build(GetParam().command_line);
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Flags, GatewayConfigRejectsTest,
    testing::Values(
        BadFlag{{{"hubspot_base_url", "ftp://x"}}, "--hubspot_base_url"},
        BadFlag{{{"hubspot_api_version", "v3"}}, "--hubspot_api_version"},
        BadFlag{{{"upstream_timeout", "0s"}}, "--upstream_timeout"},
        BadFlag{{{"shutdown_grace", "-1s"}}, "--shutdown_grace"},
        BadFlag{{{"drain_delay", "-1s"}}, "--drain_delay"},
        BadFlag{{{"drain_delay", "inf"}}, "--drain_delay"},
        BadFlag{{{"max_upstream_connections", "0"}}, "--max_upstream_connections"},
        BadFlag{{{"max_upstream_response_bytes", "10"}}, "--max_upstream_response_bytes"},
        BadFlag{{{"tls_cert", "/nonexistent.pem"}}, "--tls_cert and"},
        BadFlag{{{"tls_client_ca", "/ca.pem"}}, "--tls_client_ca"},
        BadFlag{{{"tls_cert", "/nonexistent/cert.pem"}, {"tls_key", "/nonexistent/key.pem"}},
                "--tls_cert: cannot read a PEM file"},
        BadFlag{{{"max_inputs_per_request", "0"}}, "--max_inputs_per_request"},
        BadFlag{{{"max_concurrent_requests_per_call", "0"}}, "--max_concurrent_requests_per_call"},
        BadFlag{{{"max_attempts", "0"}}, "--max_attempts"},
        BadFlag{{{"rate_limit_per_10s", "-1"}}, "--rate_limit_per_10s"},
        BadFlag{{{"bulk_budget_share", "0"}}, "--bulk_budget_share"},
        BadFlag{{{"bulk_budget_share", "1.5"}}, "--bulk_budget_share"},
        BadFlag{{{"coalesce_window", "-1ms"}}, "--coalesce_window"},
        BadFlag{{{"max_retry_after", "-1s"}}, "--max_retry_after"},
        BadFlag{{{"association_labels_ttl", "-1s"}}, "--association_labels_ttl"},
        BadFlag{{{"max_in_flight_calls", "0"}}, "--max_in_flight_calls"},
        BadFlag{{{"max_inputs_per_call", "0"}}, "--max_inputs_per_call"},
        BadFlag{{{"max_backoff", "1ms"}}, "--initial_backoff"},
        BadFlag{{{"auth_mode", "caller_keys"}}, "--callers_file"},
        BadFlag{{{"budget_store", "rediss://10.1.2.3:6380"}}, "rediss:// (TLS) is not supported"},
        BadFlag{{{"budget_store", "10.1.2.3:6379"}},
                "--budget_store: a Redis URL must be redis://"},
        BadFlag{{{"budget_store", "redis://h:1"}, {"budget_store_replicas", "0"}},
                "--budget_store_replicas"},
        BadFlag{{{"budget_store", "redis://h:1"}, {"budget_store_timeout", "0s"}},
                "--budget_store_timeout"},
        BadFlag{{{"listen", ""}}, "--listen"},
        BadFlag{{{"listen", "127.0.0.1:99999"}},
                "--listen must be host:port with a port from 1 to 65535"},
        BadFlag{{{"listen", "127.0.0.1:65536"}}, "--listen"},
        BadFlag{{{"listen", "127.0.0.1:-1"}}, "--listen"},
        BadFlag{{{"listen", "127.0.0.1"}}, "--listen"}, BadFlag{{{"listen", ":50051"}}, "--listen"},
        BadFlag{{{"listen", "::1:50051"}}, "--listen"},
        BadFlag{{{"listen", "127.0.0.1:0000000050051"}}, "--listen"},
        BadFlag{{{"metrics_listen", "127.0.0.1:99999"}},
                "--metrics_listen must be host:port with a port from 1 to 65535"},
        BadFlag{{{"metrics_listen", "not an address"}}, "--metrics_listen"},
        BadFlag{{{"hubspot_api_version", "2026-13"}}, "a month from 01 to 12"},
        BadFlag{{{"max_inputs_per_request", "101"}},
                "Add --allow_max_inputs_per_request_above_100"}));

TEST_F(GatewayConfigTest, ListenAddressesTakeAnyPortAnIpv6HostOrAFreePort) {
  env_["HUBSPOT_ACCESS_TOKEN"] = kToken;
  for (const char* address : {"127.0.0.1:1", "0.0.0.0:65535", "[::1]:50051", "localhost:0"}) {
    const auto config = Build({{"listen", address}, {"metrics_listen", address}});
    ASSERT_TRUE(config.ok()) << address << ": " << config.status();
    EXPECT_EQ(config->server.listen, address);
    EXPECT_EQ(config->server.metrics_listen, address);
  }
}

TEST_F(GatewayConfigTest, MaxInputsPerRequestAbove100OnlyWithItsOverride) {
  env_["HUBSPOT_ACCESS_TOKEN"] = kToken;
  const auto config = Build(
      {{"max_inputs_per_request", "500"}, {"allow_max_inputs_per_request_above_100", "true"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->dispatch.max_inputs_per_request, 500);
  // The override allows no nonsense.
  EXPECT_EQ(Build({{"max_inputs_per_request", "0"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(GatewayConfigTest, SecretFilesEveryUserMayReadAreWarnedOfWithoutTheSecret) {
  const std::string token_file = WriteTokenFile(kToken);
  ASSERT_EQ(chmod(token_file.c_str(), 0644), 0);
  auto config = Build({{"hubspot_token_file", token_file}});
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_THAT(config->warnings[0], HasSubstr("--hubspot_token_file " + token_file));
  EXPECT_THAT(config->warnings[0], HasSubstr("mode 0644"));
  EXPECT_THAT(config->warnings[0], Not(HasSubstr(kToken)));

  ASSERT_EQ(chmod(token_file.c_str(), 0640), 0);
  config = Build();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->warnings, IsEmpty());
}

TEST_F(GatewayConfigTest, ACallersFileIsASecretOnlyWhenItHoldsATokenItself) {
  const std::string callers_file = std::string(std::getenv("TEST_TMPDIR")) + "/callers.json";
  const auto write_callers = [&](const std::string& token_member) {
    std::ofstream(callers_file) << R"({"callers": [{"name": "billing", "api_key_sha256": ")"
                                << std::string(64, 'a') << R"(", )" << token_member << "}]}";
    EXPECT_EQ(chmod(callers_file.c_str(), 0644), 0);
  };
  env_["BILLING_TOKEN"] = kToken;
  write_callers(R"("hubspot_token_env": "BILLING_TOKEN")");
  auto config = Build({{"auth_mode", "caller_keys"}, {"callers_file", callers_file}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->warnings, IsEmpty());

  write_callers(absl::StrCat(R"("hubspot_token": ")", kToken, R"(")"));
  config = Build();
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_THAT(config->warnings[0], HasSubstr("--callers_file " + callers_file));
  EXPECT_THAT(config->warnings[0], Not(HasSubstr(kToken)));
}

}  // namespace
}  // namespace hubspot_gateway
