#include "server/api/caller_flow.h"

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(CallerFlowTest, TheFirstKnownIdentityNamesTheFlow) {
  Caller billing;
  billing.name = "billing";
  CallMetadata labelled = {{"x-archive-caller", "nightly-sync"}};
  CallMetadata none;
  struct Case {
    CallerIdentity identity;
    const CallMetadata* metadata;
    std::string flow;
  };
  const Case cases[] = {
      {{"spiffe://corp/sync", &billing, "ipv4:10.0.0.7:5123"},
       &labelled,
       "mtls:spiffe://corp/sync"},
      {{"", &billing, "ipv4:10.0.0.7:5123"}, &labelled, "key:billing"},
      {{"", nullptr, "ipv4:10.0.0.7:5123"}, &labelled, "caller:nightly-sync"},
      {{"", nullptr, "ipv4:10.0.0.7:5123"}, &none, "peer:ipv4:10.0.0.7"},
      {{"", nullptr, "ipv6:[::1]:80"}, &none, "peer:ipv6:[::1]"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> flow = CallerFlow(c.identity, *c.metadata);
    ASSERT_TRUE(flow.ok()) << flow.status();
    EXPECT_EQ(*flow, c.flow);
  }
}

TEST(CallerFlowTest, ABadCallerLabelIsRefused) {
  for (const char* bad :
       {"", "has space",
        "0123456789012345678901234567890123456789012345678901234567890123456789"}) {
    CallMetadata metadata = {{"x-archive-caller", bad}};
    absl::StatusOr<std::string> flow = CallerFlow({"", nullptr, "ipv4:1.2.3.4:5"}, metadata);
    EXPECT_EQ(flow.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace hubspot_gateway
