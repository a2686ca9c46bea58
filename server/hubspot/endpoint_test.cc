#include "server/hubspot/endpoint.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

using ::testing::HasSubstr;

TEST(HubSpotEndpointTest, DefaultIsHubSpotWithTheDateVersionedApi) {
  EXPECT_EQ(HubSpotEndpoint().BatchUrl("contacts", "0-2", "batch/archive"),
            "https://api.hubapi.com/crm/associations/2026-03/contacts/0-2/batch/archive");
}

TEST(HubSpotEndpointTest, LegacyV4PathAndTrailingSlashDropped) {
  const auto endpoint = HubSpotEndpoint::Create("http://127.0.0.1:8080/", "v4");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_EQ(endpoint->base_url(), "http://127.0.0.1:8080");
  EXPECT_EQ(endpoint->BatchUrl("deals", "companies", "batch/labels/archive"),
            "http://127.0.0.1:8080/crm/v4/associations/deals/companies/batch/labels/archive");
}

TEST(HubSpotEndpointTest, AcceptsEveryMonthOfADateVersion) {
  for (const char* version : {"2026-01", "2026-03", "2026-09", "2027-12"}) {
    const auto endpoint = HubSpotEndpoint::Create("https://x", version);
    ASSERT_TRUE(endpoint.ok()) << version << ": " << endpoint.status();
    EXPECT_EQ(endpoint->api_version(), version);
  }
}

TEST(HubSpotEndpointTest, RefusesBadBaseUrlsAndVersions) {
  struct Case {
    const char* base_url;
    const char* version;
    const char* names;
  };
  for (const Case& c : {Case{"ftp://x", "2026-03", "--hubspot_base_url"},
                        Case{"https://a b", "2026-03", "--hubspot_base_url"},
                        Case{"https://x", "2026-3", "--hubspot_api_version"},
                        Case{"https://x", "v3", "--hubspot_api_version"},
                        Case{"https://x", "2026-13", "a month from 01 to 12"},
                        Case{"https://x", "2026-00", "a month from 01 to 12"},
                        Case{"https://x", "2026-1a", "--hubspot_api_version"},
                        Case{"https://x", "", "--hubspot_api_version"}}) {
    const auto endpoint = HubSpotEndpoint::Create(c.base_url, c.version);
    ASSERT_EQ(endpoint.status().code(), absl::StatusCode::kInvalidArgument) << c.base_url;
    EXPECT_THAT(endpoint.status().message(), HasSubstr(c.names));
  }
}

}  // namespace
}  // namespace hubspot_gateway
