#include "server/call_log.h"

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(FormatCallLogLineTest, NamesEverythingAnOperatorNeeds) {
  CallLogEntry entry;
  entry.method = "ArchiveAssociations";
  entry.from_object_type = "contacts";
  entry.to_object_type = "companies";
  entry.inputs = 2;
  entry.upstream_requests = 3;
  entry.retries = 2;
  entry.upstream_http_status = 503;
  entry.correlation_id = "c-1";
  entry.code = absl::StatusCode::kUnavailable;
  entry.message = "HubSpot answered HTTP 503 \"busy\"";
  entry.latency = absl::Microseconds(1500);
  EXPECT_EQ(FormatCallLogLine(entry),
            "call method=ArchiveAssociations from=contacts to=companies inputs=2 "
            "upstream_requests=3 retries=2 http_status=503 correlation_id=c-1 "
            "code=UNAVAILABLE latency_ms=1.500 message=\"HubSpot answered HTTP 503 "
            "\\\"busy\\\"\"");
}

TEST(FormatCallLogLineTest, EmptyFieldsAreDashes) {
  CallLogEntry entry;
  entry.method = "ArchiveAssociations";
  EXPECT_EQ(FormatCallLogLine(entry),
            "call method=ArchiveAssociations from=- to=- inputs=0 upstream_requests=0 "
            "retries=0 http_status=0 correlation_id=- code=OK latency_ms=0.000");
}

}  // namespace
}  // namespace hubspot_gateway
