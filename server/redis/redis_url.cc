#include "server/redis/redis_url.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace hubspot_gateway {

absl::StatusOr<RedisConnectionOptions> ParseRedisUrl(absl::string_view url) {
  if (absl::StartsWith(url, "rediss://")) {
    return absl::InvalidArgumentError(
        "rediss:// (TLS) is not supported: Debian's hiredis 0.14 has no TLS; "
        "reach Redis over a private network or a TLS tunnel (stunnel) with redis://");
  }
  if (!absl::ConsumePrefix(&url, "redis://")) {
    return absl::InvalidArgumentError("a Redis URL must be redis://HOST:PORT[/DB]");
  }
  RedisConnectionOptions options;
  if (const size_t at = url.rfind('@'); at != absl::string_view::npos) {
    absl::string_view credentials = url.substr(0, at);
    absl::ConsumePrefix(&credentials, ":");
    options.password = std::string(credentials);
    url.remove_prefix(at + 1);
  }
  absl::string_view address = url;
  if (const size_t slash = url.find('/'); slash != absl::string_view::npos) {
    address = url.substr(0, slash);
    if (!absl::SimpleAtoi(url.substr(slash + 1), &options.db) || options.db < 0) {
      return absl::InvalidArgumentError("a Redis URL's database after / must be a number");
    }
  }
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &options.port) || options.port <= 0 ||
      options.port > 65535) {
    return absl::InvalidArgumentError("a Redis URL must be redis://HOST:PORT[/DB]");
  }
  options.host = std::string(address.substr(0, colon));
  return options;
}

}  // namespace hubspot_gateway
