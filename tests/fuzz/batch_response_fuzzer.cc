// libFuzzer target over everything that reads HubSpot's answers: the
// BatchResponse decoder, the association-labels decoder and the labels
// guard's reading of it, the error-body decoder, date-time and Retry-After
// parsing, the rate-limit headers and the one reading of a whole answer. Any
// input must be answered without crashing, leaking or UB, a decoded result
// must survive a proto round trip, and every header value must come out
// clamped to its range.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/hubspot/archive_response.h"
#include "server/hubspot/hubspot_json.h"
#include "server/labels/unlabeled_types.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  const int http_status = size > 0 ? 200 + data[0] % 400 : 500;

  auto decoded = hubspot_gateway::DecodeBatchResponse(body);
  if (decoded.ok()) {
    hubspot::crm::associations::v1::BatchResult copy;
    if (!copy.ParseFromString(decoded->SerializeAsString())) __builtin_trap();
  }
  // A labels answer that decodes and lists a type always tells the guard
  // which types are unlabeled.
  auto labels = hubspot_gateway::DecodeAssociationLabels(body);
  if (labels.ok() && labels->results_size() > 0 &&
      !hubspot_gateway::UnlabeledTypesOf(*labels).ok()) {
    __builtin_trap();
  }
  const auto error = hubspot_gateway::DecodeUpstreamError(http_status, body);
  if (error.raw_body().size() > 512) __builtin_trap();

  hubspot_gateway::HttpResponse response;
  response.status_code = http_status;
  response.body = std::string(body);
  const std::string header_value(body.substr(0, 40));
  response.headers = {{"retry-after", header_value},
                      {"x-hubspot-ratelimit-max", header_value},
                      {"x-hubspot-ratelimit-remaining", header_value},
                      {"x-hubspot-ratelimit-interval-milliseconds", header_value},
                      {"x-hubspot-ratelimit-daily-remaining", header_value}};
  const hubspot_gateway::UpstreamAnswer answer =
      hubspot_gateway::ReadUpstreamAnswer(response, absl::UnixEpoch(), absl::UnixEpoch());
  using Limits = hubspot_gateway::RateLimitHeaders;
  const Limits& limits = answer.rate_limit;
  if (limits.max.has_value() && (*limits.max < 1 || *limits.max > Limits::kMaxAdvertisedRequests)) {
    __builtin_trap();
  }
  if (limits.remaining.has_value() &&
      (*limits.remaining < 0 || *limits.remaining > Limits::kMaxAdvertisedRequests)) {
    __builtin_trap();
  }
  if (limits.interval.has_value() &&
      (*limits.interval < Limits::kMinInterval || *limits.interval > Limits::kMaxInterval)) {
    __builtin_trap();
  }
  (void)hubspot_gateway::ParseHubSpotTime(body);
  (void)hubspot_gateway::ParseRetryAfter(body, absl::UnixEpoch());
  return 0;
}
