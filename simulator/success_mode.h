// How the simulator answers a successful batch/archive or batch/labels/archive,
// per API version as HubSpot's specs say today, or forced to one answer for
// every version (HubSpot's spec has flipped between them; the gateway must
// accept each). Pure functions; thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_SUCCESS_MODE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_SUCCESS_MODE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hubspot_simulator {

// The body of one successful answer.
enum class SuccessShape {
  kNoContent,          // 204 without a body: the v4 spec.
  kBatchResponse,      // 200 BatchResponse, `results` items objects: the 2026-03 spec.
  kBatchResponseVoid,  // 200 BatchResponseVoid, `results` items anything: the 2026-09 spec.
};

// --success_mode.
enum class SuccessMode {
  kPerVersion,  // Each version's spec (SuccessShapeFor); the default.
  kNoContent,   // The rest force one shape for every version.
  kBatchResponse,
  kBatchResponseVoid,
};

// "per_version", "204", "batch_response" or "batch_response_void";
// INVALID_ARGUMENT listing them otherwise.
absl::StatusOr<SuccessMode> ParseSuccessMode(absl::string_view text);

// The shape `mode` gives a request to `api_version` ("v4" or "YYYY-MM"):
// per version, v4 is 204, versions before 2026-09 a BatchResponse, and
// 2026-09 and later a BatchResponseVoid.
SuccessShape SuccessShapeFor(SuccessMode mode, absl::string_view api_version);

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_SUCCESS_MODE_H_
