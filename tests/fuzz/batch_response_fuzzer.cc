// libFuzzer target over everything that reads HubSpot's answers: the
// BatchResponse decoder, the error-body decoder, date-time and Retry-After
// parsing. Any input must be answered without crashing, leaking or UB, and a
// decoded result must survive a proto round trip.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/hubspot/archive_response.h"
#include "server/hubspot/hubspot_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  const int http_status = size > 0 ? 200 + data[0] % 400 : 500;

  auto decoded = hubspot_gateway::DecodeBatchResponse(body);
  if (decoded.ok()) {
    hubspot::crm::associations::v1::BatchResult copy;
    if (!copy.ParseFromString(decoded->SerializeAsString())) __builtin_trap();
  }
  const auto error = hubspot_gateway::DecodeUpstreamError(http_status, body);
  if (error.raw_body().size() > 512) __builtin_trap();

  hubspot_gateway::HttpResponse response;
  response.status_code = http_status;
  response.body = std::string(body);
  response.headers = {{"retry-after", std::string(body.substr(0, 40))}};
  (void)hubspot_gateway::InterpretArchiveExchange(response, absl::UnixEpoch(), absl::UnixEpoch());
  (void)hubspot_gateway::ParseHubSpotTime(body);
  (void)hubspot_gateway::ParseRetryAfter(body, absl::UnixEpoch());
  return 0;
}
