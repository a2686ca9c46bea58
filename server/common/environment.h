// How configuration reads environment variables, behind a function type so
// tests pass a map instead of touching the process environment.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_ENVIRONMENT_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_ENVIRONMENT_H_

#include <cstdlib>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/types/optional.h"

namespace hubspot_gateway {

// Reads an environment variable; absl::nullopt when unset.
using EnvironmentLookup = absl::FunctionRef<absl::optional<std::string>(const char*)>;

// The process environment (getenv).
inline absl::optional<std::string> ProcessEnvironment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return absl::nullopt;
  return std::string(value);
}

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_ENVIRONMENT_H_
