// FailedFile writes the pairs a bulk job could not confirm archived, so that
// what is at the path in the end is either complete or not there: lines go
// to a temporary file beside it, which Commit fsyncs and renames over the
// path. (A path that is not a regular file, such as a pipe or a device, is
// written in place.) Every write is checked; the first failure is kept, and
// Commit reports it naming the file, so a caller never says "written" about
// pairs that were not. Not thread-safe: its owner serialises calls.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_CLIENT_FAILED_FILE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_CLIENT_FAILED_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hubspot_gateway {

class FailedFile {
 public:
  // Opens the temporary file for `path` (given as --failed_out); UNAVAILABLE
  // naming it when that is impossible (a missing directory, no permission).
  static absl::StatusOr<FailedFile> Create(const std::string& path);

  FailedFile(FailedFile&& other) noexcept;
  FailedFile& operator=(FailedFile&&) = delete;
  // Removes the temporary file if Commit was never reached.
  ~FailedFile();

  // Appends `line` and a newline (buffered).
  void WriteLine(absl::string_view line);
  int64_t lines() const { return lines_; }

  // Writes what is buffered, fsyncs, closes and renames the temporary file
  // over the path. The first error of any write so far, naming the path.
  absl::Status Commit();

 private:
  FailedFile(int fd, std::string path, std::string temporary)
      : fd_(fd), path_(std::move(path)), temporary_(std::move(temporary)) {}
  void Flush();
  void Fail(absl::string_view what);

  int fd_;
  std::string path_;
  // Empty when writing to the path itself.
  std::string temporary_;
  std::string buffer_;
  int64_t lines_ = 0;
  absl::Status error_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_CLIENT_FAILED_FILE_H_
