// Reads a Redis URL, redis://[:PASSWORD@]HOST:PORT[/DB], into connection
// options (a password is better given apart, from a file or the
// environment). rediss:// is refused: Debian's hiredis 0.14 has no TLS.
// A pure function: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_REDIS_REDIS_URL_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_REDIS_REDIS_URL_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/redis/redis_connection.h"

namespace hubspot_gateway {

// INVALID_ARGUMENT saying what is wrong; no message holds the password.
absl::StatusOr<RedisConnectionOptions> ParseRedisUrl(absl::string_view url);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_REDIS_REDIS_URL_H_
