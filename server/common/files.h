// Whole-file reads and atomic writes for startup settings and port files, and
// the permission check for files that hold secrets.
// Pure functions over the filesystem: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_FILES_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_FILES_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hubspot_gateway {

// The contents of the file at `path`; FAILED_PRECONDITION naming `what`
// (e.g. "--callers_file") and the path when it cannot be read.
absl::StatusOr<std::string> ReadFileToString(absl::string_view what, const std::string& path);

// For a file that holds a secret (a token, a password, a private key): a
// warning naming `what` (e.g. "--hubspot_token_file"), the path and its mode
// when every user of the machine may read it; nullopt when only its owner
// and group may, or when it cannot be examined (reading it reports that).
// Group read is allowed: it is how a secret is shared with a service's group
// (a Kubernetes secret mounted with an fsGroup is 0440).
std::optional<std::string> ReadableByOthersWarning(absl::string_view what, const std::string& path);

// Writes "<port>\n" to `path` through a temporary file and a rename, so a
// reader polling for the file never sees a partial number.
absl::Status WritePortFile(const std::string& path, int port);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_FILES_H_
