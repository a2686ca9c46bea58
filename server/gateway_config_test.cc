#include "server/gateway_config.h"

#include <cstdio>
#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "pat-na1-11111111-2222-3333-4444-555555555555";

class GatewayConfigTest : public testing::Test {
 protected:
  absl::StatusOr<GatewayConfig> Build(const GatewayFlags& flags) {
    return BuildGatewayConfig(flags, [this](const char* name) -> absl::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return absl::nullopt;
      return it->second;
    });
  }

  std::string WriteTokenFile(const std::string& contents) {
    const std::string path = std::string(getenv("TEST_TMPDIR")) + "/token";
    std::ofstream(path) << contents;
    return path;
  }

  std::map<std::string, std::string> env_;
};

TEST_F(GatewayConfigTest, DefaultsWithTokenFromEnvironment) {
  env_["HUBSPOT_ACCESS_TOKEN"] = std::string(kToken) + "\n";
  const auto config = Build(GatewayFlags{});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "127.0.0.1:50051");
  EXPECT_EQ(config->gateway_token, kToken);
  EXPECT_EQ(config->auth_mode, AuthMode::kGatewayToken);
  EXPECT_EQ(config->upstream_timeout, absl::Seconds(30));
  EXPECT_EQ(config->max_inputs_per_request, 100);
  EXPECT_EQ(config->retry.max_attempts, 4);
  EXPECT_EQ(config->backoff.initial_delay, absl::Milliseconds(200));
  EXPECT_EQ(config->ArchiveUrl("contacts", "0-2"),
            "https://api.hubapi.com/crm/associations/2026-03/contacts/0-2/batch/archive");
}

TEST_F(GatewayConfigTest, TokenFromFileWhenEnvironmentIsUnset) {
  GatewayFlags flags;
  flags.hubspot_token_file = WriteTokenFile(std::string("  ") + kToken + "\n");
  const auto config = Build(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->gateway_token, kToken);
}

TEST_F(GatewayConfigTest, RefusesToStartWithoutAToken) {
  const auto config = Build(GatewayFlags{});
  EXPECT_EQ(config.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("HUBSPOT_ACCESS_TOKEN"));
}

TEST_F(GatewayConfigTest, UnreadableTokenFileIsNamed) {
  GatewayFlags flags;
  flags.hubspot_token_file = "/nonexistent/token";
  EXPECT_THAT(std::string(Build(flags).status().message()), HasSubstr("/nonexistent/token"));
}

TEST_F(GatewayConfigTest, MalformedTokenIsRefusedWithoutQuotingIt) {
  env_["HUBSPOT_ACCESS_TOKEN"] = "secret-part\r\nX-Injected: 1";
  const auto config = Build(GatewayFlags{});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), Not(HasSubstr("secret-part")));
}

TEST_F(GatewayConfigTest, PassthroughNeedsNoToken) {
  GatewayFlags flags;
  flags.auth_mode = "passthrough";
  const auto config = Build(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->auth_mode, AuthMode::kPassthrough);
  EXPECT_TRUE(config->gateway_token.empty());
}

TEST_F(GatewayConfigTest, LegacyVersionUsesTheV4PathAndTrailingSlashIsDropped) {
  env_["HUBSPOT_ACCESS_TOKEN"] = kToken;
  GatewayFlags flags;
  flags.hubspot_base_url = "http://127.0.0.1:8080/";
  flags.hubspot_api_version = "v4";
  const auto config = Build(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ArchiveUrl("contacts", "companies"),
            "http://127.0.0.1:8080/crm/v4/associations/contacts/companies/batch/archive");
}

struct BadFlag {
  void (*apply)(GatewayFlags&);
  const char* message;
};

class GatewayConfigRejectsTest : public GatewayConfigTest,
                                 public testing::WithParamInterface<BadFlag> {};

TEST_P(GatewayConfigRejectsTest, WithAMessageNamingTheFlag) {
  env_["HUBSPOT_ACCESS_TOKEN"] = kToken;
  GatewayFlags flags;
  GetParam().apply(flags);
  const auto config = Build(flags);
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Flags, GatewayConfigRejectsTest,
    testing::Values(
        BadFlag{[](GatewayFlags& f) { f.hubspot_base_url = "ftp://x"; }, "--hubspot_base_url"},
        BadFlag{[](GatewayFlags& f) { f.hubspot_base_url = "https://a b"; },
                "--hubspot_base_url"},
        BadFlag{[](GatewayFlags& f) { f.hubspot_api_version = "2026-3"; },
                "--hubspot_api_version"},
        BadFlag{[](GatewayFlags& f) { f.hubspot_api_version = "v3"; }, "--hubspot_api_version"},
        BadFlag{[](GatewayFlags& f) { f.upstream_timeout = absl::ZeroDuration(); },
                "--upstream_timeout"},
        BadFlag{[](GatewayFlags& f) { f.shutdown_grace = -absl::Seconds(1); },
                "--shutdown_grace"},
        BadFlag{[](GatewayFlags& f) { f.max_upstream_connections = 0; },
                "--max_upstream_connections"},
        BadFlag{[](GatewayFlags& f) { f.auth_mode = "magic"; }, "--auth_mode"},
        BadFlag{[](GatewayFlags& f) { f.log_format = "xml"; }, "--log_format"},
        BadFlag{[](GatewayFlags& f) { f.tls_cert = "/nonexistent.pem"; }, "--tls_cert and"},
        BadFlag{[](GatewayFlags& f) { f.tls_client_ca = "/ca.pem"; }, "--tls_client_ca"},
        BadFlag{[](GatewayFlags& f) {
                  f.tls_cert = "/nonexistent/cert.pem";
                  f.tls_key = "/nonexistent/key.pem";
                },
                "--tls_cert: cannot read a PEM file"},
        BadFlag{[](GatewayFlags& f) { f.max_inputs_per_request = 0; },
                "--max_inputs_per_request"},
        BadFlag{[](GatewayFlags& f) { f.max_concurrent_requests_per_call = 0; },
                "--max_concurrent_requests_per_call"},
        BadFlag{[](GatewayFlags& f) { f.max_attempts = 0; }, "--max_attempts"},
        BadFlag{[](GatewayFlags& f) { f.rate_limit_per_10s = -1; }, "--rate_limit_per_10s"},
        BadFlag{[](GatewayFlags& f) { f.max_in_flight_calls = 0; }, "--max_in_flight_calls"},
        BadFlag{[](GatewayFlags& f) { f.max_backoff = absl::Milliseconds(1); },
                "--initial_backoff"},
        BadFlag{[](GatewayFlags& f) { f.listen = ""; }, "--listen"}));

}  // namespace
}  // namespace hubspot_gateway
