#include "server/api/caller_registry.h"

#include <map>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/digest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<CallerRegistry> Parse(const std::string& text,
                                     std::map<std::string, std::string> env = {}) {
  return CallerRegistry::Parse(text, [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

TEST(Sha256HexTest, KnownDigest) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CallerRegistryTest, ReadsEachCallersPolicy) {
  const std::string text = R"({"callers": [
      {"name": "billing", "api_key_sha256": ")" +
                           Sha256Hex("key-billing") +
                           R"(", "hubspot_token": "pat-billing",
       "policy": {"max_share": 0.5, "calls": ["archive"]}},
      {"name": "support", "api_key_sha256": ")" +
                           Sha256Hex("key-support") + R"(", "hubspot_token": "pat-support"}]})";
  const auto registry = Parse(text);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const Caller* billing = registry->Find("key-billing");
  ASSERT_NE(billing, nullptr);
  ASSERT_NE(billing->policy, nullptr);
  EXPECT_EQ(billing->policy->max_share, 0.5);
  EXPECT_EQ(billing->policy->Allows("labels", "contacts", "companies").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(registry->Find("key-support")->policy, nullptr);
  const auto bad = Parse(R"({"callers": [{"name": "x", "api_key_sha256": ")" + Sha256Hex("k") +
                         R"(", "hubspot_token": "pat-x", "policy": {"weight": -1}}]})");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("callers[0] (x).policy"));
}

TEST(CallerRegistryTest, FindsCallersByKeyAndKnowsNoOtherKey) {
  const std::string text = R"({"callers": [
      {"name": "billing", "api_key_sha256": ")" +
                           Sha256Hex("key-billing") +
                           R"(", "hubspot_token_env": "BILLING_TOKEN"},
      {"name": "support", "api_key_sha256": ")" +
                           Sha256Hex("key-support") + R"(", "hubspot_token": "pat-support"}]})";
  const auto registry = Parse(text, {{"BILLING_TOKEN", "pat-billing\n"}});
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_EQ(registry->size(), 2u);
  ASSERT_NE(registry->Find("key-billing"), nullptr);
  EXPECT_EQ(registry->Find("key-billing")->name, "billing");
  EXPECT_EQ(registry->Find("key-billing")->hubspot_token, "pat-billing");
  EXPECT_EQ(registry->Find("key-support")->hubspot_token, "pat-support");
  EXPECT_EQ(registry->Find("key-unknown"), nullptr);
  EXPECT_EQ(registry->Find(""), nullptr);
  EXPECT_TRUE(registry->holds_tokens());  // support's token is in the file itself
}

TEST(CallerRegistryTest, AFileNamingOnlyVariablesHoldsNoToken) {
  const auto registry =
      Parse(R"({"callers": [{"name": "billing", "api_key_sha256": ")" + Sha256Hex("key-billing") +
                R"(", "hubspot_token_env": "BILLING_TOKEN"}]})",
            {{"BILLING_TOKEN", "pat-billing"}});
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_FALSE(registry->holds_tokens());
}

struct Bad {
  std::string text;
  const char* message;
};

class CallerRegistryRejectsTest : public testing::TestWithParam<Bad> {};

TEST_P(CallerRegistryRejectsTest, WithAMessageThatQuotesNoSecret) {
  const auto registry = Parse(GetParam().text);
  ASSERT_FALSE(registry.ok());
  EXPECT_THAT(std::string(registry.status().message()), HasSubstr(GetParam().message));
  EXPECT_THAT(std::string(registry.status().message()), Not(HasSubstr("pat-secret")));
}

const std::string kDigest = Sha256Hex("k");

INSTANTIATE_TEST_SUITE_P(
    Files, CallerRegistryRejectsTest,
    testing::Values(
        Bad{"not json", "must be JSON"}, Bad{R"({"callers": []})", "registers no caller"},
        Bad{R"({"callers": [{"api_key_sha256": ")" + kDigest + R"("}]})", "\"name\""},
        Bad{R"({"callers": [{"name": "a", "api_key_sha256": "k", "hubspot_token": "pat-secret"}]})",
            "64 hex digits"},
        Bad{R"({"callers": [{"name": "a", "api_key_sha256": ")" + kDigest +
                R"(", "hubspot_token_env": "MISSING"}]})",
            "MISSING is not set"},
        Bad{R"({"callers": [{"name": "a", "api_key_sha256": ")" + kDigest +
                R"(", "hubspot_token": "pat secret"}]})",
            "well-formed"},
        Bad{R"({"callers": [{"name": "a", "api_key_sha256": ")" + kDigest +
                R"(", "hubspot_token": "pat-secret"}, {"name": "b", "api_key_sha256": ")" +
                kDigest + R"(", "hubspot_token": "pat-secret"}]})",
            "registered twice"},
        // What `printf %s "$KEY" | sha256sum` gives when KEY is unset.
        Bad{R"({"callers": [{"name": "ops", "api_key_sha256": ")" + Sha256Hex("") +
                R"(", "hubspot_token": "pat-secret"}]})",
            "callers[0] (ops): \"api_key_sha256\" is the SHA-256 of an empty key"},
        Bad{R"({"callers": [{"name": "ops", "api_key_sha256": ")" +
                absl::AsciiStrToUpper(Sha256Hex("")) + R"(", "hubspot_token": "pat-secret"}]})",
            "SHA-256 of an empty key"},
        // The second "hubspot_token" would silently win.
        Bad{R"({"callers": [{"name": "a", "api_key_sha256": ")" + kDigest +
                R"(", "hubspot_token": "pat-secret", "hubspot_token": "pat-other"}]})",
            "the key \"hubspot_token\" appears twice"},
        Bad{R"({"callers": [], "callers": [{"name": "a", "api_key_sha256": ")" + kDigest +
                R"(", "hubspot_token": "pat-secret"}]})",
            "the key \"callers\" appears twice"}));

}  // namespace
}  // namespace hubspot_gateway
