#include "client/failed_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hubspot_gateway {
namespace {

constexpr size_t kBufferBytes = 64 * 1024;

absl::Status Unavailable(absl::string_view path, absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat("--failed_out ", path, ": ", what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<FailedFile> FailedFile::Create(const std::string& path) {
  struct stat existing;
  if (stat(path.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode)) {
    const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Unavailable(path, "cannot open");
    return FailedFile(fd, path, "");
  }
  std::string temporary = absl::StrCat(path, ".XXXXXX");
  const int fd = mkstemp(temporary.data());
  if (fd < 0) return Unavailable(path, absl::StrCat("cannot create ", temporary));
  // mkstemp makes it private; the failed file gets the usual permissions.
  const mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0) {
    const absl::Status status = Unavailable(path, absl::StrCat("cannot chmod ", temporary));
    close(fd);
    unlink(temporary.c_str());
    return status;
  }
  return FailedFile(fd, path, std::move(temporary));
}

FailedFile::FailedFile(FailedFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      temporary_(std::move(other.temporary_)),
      buffer_(std::move(other.buffer_)),
      lines_(other.lines_),
      error_(std::move(other.error_)) {}

FailedFile::~FailedFile() {
  if (fd_ < 0) return;
  close(fd_);
  if (!temporary_.empty()) unlink(temporary_.c_str());
}

void FailedFile::WriteLine(absl::string_view line) {
  absl::StrAppend(&buffer_, line, "\n");
  ++lines_;
  if (buffer_.size() >= kBufferBytes) Flush();
}

void FailedFile::Fail(absl::string_view what) {
  if (error_.ok()) error_ = Unavailable(path_, what);
}

void FailedFile::Flush() {
  for (size_t done = 0; done < buffer_.size() && error_.ok();) {
    const ssize_t n = write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Fail(absl::StrCat("write failed after ", lines_, " pairs were given to it"));
      break;
    }
    done += n;
  }
  buffer_.clear();
}

absl::Status FailedFile::Commit() {
  Flush();
  if (error_.ok() && !temporary_.empty() && fsync(fd_) != 0) Fail("fsync failed");
  if (close(std::exchange(fd_, -1)) != 0) Fail("close failed");
  if (temporary_.empty()) return error_;
  if (error_.ok() && std::rename(temporary_.c_str(), path_.c_str()) != 0) {
    Fail(absl::StrCat("cannot rename ", temporary_, " to it"));
  }
  if (!error_.ok()) unlink(temporary_.c_str());
  return error_;
}

}  // namespace hubspot_gateway
