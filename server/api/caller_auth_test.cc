#include "server/api/caller_auth.h"

#include <memory>
#include <string>

#include "absl/flags/marshalling.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/digest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "pat-na1-11111111-2222-3333-4444-555555555555";

// Metadata as gRPC hands it to the service: views into strings that outlive it.
class Metadata {
 public:
  Metadata& Add(const std::string& key, const std::string& value) {
    keys_.push_back(std::make_unique<std::string>(key));
    values_.push_back(std::make_unique<std::string>(value));
    map_.emplace(grpc::string_ref(*keys_.back()), grpc::string_ref(*values_.back()));
    return *this;
  }
  const CallMetadata& map() const { return map_; }

 private:
  std::vector<std::unique_ptr<std::string>> keys_;
  std::vector<std::unique_ptr<std::string>> values_;
  CallMetadata map_;
};

TEST(BearerTokenFromMetadataTest, AcceptsAnyCaseOfTheScheme) {
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER "}) {
    Metadata metadata;
    metadata.Add("authorization", std::string(scheme) + kToken);
    const auto token = BearerTokenFromMetadata(metadata.map());
    ASSERT_TRUE(token.ok()) << token.status();
    EXPECT_EQ(*token, kToken);
  }
}

TEST(BearerTokenFromMetadataTest, RefusesMissingOrMalformedValuesWithoutEchoingThem) {
  const std::string injected = std::string(kToken) + "\r\nX-Evil: 1";
  for (const std::string& value :
       {std::string("Basic abc"), std::string("Bearer "), std::string("Bearer a b"), injected,
        std::string("Bearer ") + std::string(5000, 'x')}) {
    Metadata metadata;
    metadata.Add("authorization", value);
    const auto token = BearerTokenFromMetadata(metadata.map());
    ASSERT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated) << value;
    EXPECT_THAT(token.status().message(), Not(HasSubstr(kToken)));
  }
  const auto absent = BearerTokenFromMetadata(Metadata().map());
  ASSERT_EQ(absent.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(absent.status().message(), HasSubstr("authorization: Bearer"));
}

TEST(CallerAuthTest, GatewayTokenIgnoresTheCallersMetadata) {
  const CallerAuth auth = CallerAuth::GatewayToken(kToken);
  Metadata metadata;
  metadata.Add("authorization", "Bearer someone-elses");
  EXPECT_EQ(auth.TokenFor(metadata.map()).value(), kToken);
  EXPECT_EQ(auth.mode(), AuthMode::kGatewayToken);
}

TEST(CallerAuthTest, PassthroughForwardsTheBearerToken) {
  const CallerAuth auth = CallerAuth::Passthrough();
  Metadata metadata;
  metadata.Add("authorization", std::string("Bearer ") + kToken);
  EXPECT_EQ(auth.TokenFor(metadata.map()).value(), kToken);
  EXPECT_EQ(auth.TokenFor(Metadata().map()).status().code(), absl::StatusCode::kUnauthenticated);
}

// caller_keys auth with one caller, "billing", whose key is "key-1".
CallerAuth KeyOneForBilling() {
  const std::string file = "{\"callers\":[{\"name\":\"billing\",\"api_key_sha256\":\"" +
                           Sha256Hex("key-1") + "\",\"hubspot_token\":\"" + kToken + "\"}]}";
  auto registry = CallerRegistry::Parse(
      file, [](const char*) -> std::optional<std::string> { return std::nullopt; });
  return CallerAuth::CallerKeys(
      std::make_shared<const CallerRegistry>(std::move(registry).value()));
}

TEST(CallerAuthTest, CallerKeysMapKnownKeysOnly) {
  const CallerAuth auth = KeyOneForBilling();
  Metadata known;
  known.Add("x-api-key", "key-1");
  EXPECT_EQ(auth.TokenFor(known.map()).value(), kToken);
  Metadata unknown;
  unknown.Add("x-api-key", "key-2");
  const auto refused = auth.TokenFor(unknown.map());
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(refused.status().message(), Not(HasSubstr("key-2")));
  EXPECT_EQ(auth.TokenFor(Metadata().map()).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(CallerAuthTest, AnEmptyKeyNeverAuthenticatesAndIsNamedAsEmpty) {
  const CallerAuth auth = KeyOneForBilling();
  Metadata empty;
  empty.Add("x-api-key", "");
  EXPECT_EQ(auth.CallerFor(empty.map()), nullptr);
  const auto refused = auth.TokenFor(empty.map());
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(refused.status().message(), HasSubstr("'x-api-key' metadata is empty"));
}

TEST(AuthModeFlagTest, ParsesAndUnparsesEveryMode) {
  for (AuthMode mode : {AuthMode::kGatewayToken, AuthMode::kPassthrough, AuthMode::kCallerKeys}) {
    AuthMode parsed;
    std::string error;
    ASSERT_TRUE(absl::ParseFlag(absl::UnparseFlag(mode), &parsed, &error)) << error;
    EXPECT_EQ(parsed, mode);
  }
  AuthMode parsed;
  std::string error;
  EXPECT_FALSE(absl::ParseFlag("oauth", &parsed, &error));
  EXPECT_THAT(error, HasSubstr("gateway_token, passthrough or caller_keys"));
}

}  // namespace
}  // namespace hubspot_gateway
