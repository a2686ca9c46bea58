// Whole-file reads and atomic writes for startup settings and port files.
// Pure functions over the filesystem: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_FILES_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hubspot_gateway {

// The contents of the file at `path`; FAILED_PRECONDITION naming `what`
// (e.g. "--callers_file") and the path when it cannot be read.
absl::StatusOr<std::string> ReadFileToString(absl::string_view what, const std::string& path);

// Writes "<port>\n" to `path` through a temporary file and a rename, so a
// reader polling for the file never sees a partial number.
absl::Status WritePortFile(const std::string& path, int port);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_FILES_H_
