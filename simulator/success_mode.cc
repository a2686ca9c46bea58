#include "simulator/success_mode.h"

#include <utility>

namespace hubspot_simulator {
namespace {

constexpr std::pair<absl::string_view, SuccessMode> kModes[] = {
    {"per_version", SuccessMode::kPerVersion},
    {"204", SuccessMode::kNoContent},
    {"batch_response", SuccessMode::kBatchResponse},
    {"batch_response_void", SuccessMode::kBatchResponseVoid},
};

// The first version whose spec answers a BatchResponseVoid.
constexpr absl::string_view kFirstVoidVersion = "2026-09";

}  // namespace

absl::StatusOr<SuccessMode> ParseSuccessMode(absl::string_view text) {
  for (const auto& [name, mode] : kModes) {
    if (text == name) return mode;
  }
  return absl::InvalidArgumentError(
      "--success_mode must be per_version, 204, batch_response or batch_response_void");
}

SuccessShape SuccessShapeFor(SuccessMode mode, absl::string_view api_version) {
  switch (mode) {
    case SuccessMode::kNoContent:
      return SuccessShape::kNoContent;
    case SuccessMode::kBatchResponse:
      return SuccessShape::kBatchResponse;
    case SuccessMode::kBatchResponseVoid:
      return SuccessShape::kBatchResponseVoid;
    case SuccessMode::kPerVersion:
      break;
  }
  if (api_version == "v4") return SuccessShape::kNoContent;
  // "YYYY-MM" strings sort as their dates.
  return api_version < kFirstVoidVersion ? SuccessShape::kBatchResponse
                                         : SuccessShape::kBatchResponseVoid;
}

}  // namespace hubspot_simulator
