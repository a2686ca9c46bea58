// How configuration reads environment variables, behind a function type so
// tests pass a map instead of touching the process environment.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_ENVIRONMENT_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_ENVIRONMENT_H_

#include <cstdlib>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"

namespace hubspot_gateway {

// Reads an environment variable; std::nullopt when unset.
using EnvironmentLookup = absl::FunctionRef<std::optional<std::string>(const char*)>;

// The process environment (getenv).
inline std::optional<std::string> ProcessEnvironment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_ENVIRONMENT_H_
