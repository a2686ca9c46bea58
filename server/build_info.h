// BuildInfo: what a gateway binary is (version, git commit, release or
// development build), and how `gateway --version` and the gateway_build_info
// metric show it. The values of the running binary come from ThisBuild()
// (server/this_build.h). A plain value: thread-compatible.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUILD_INFO_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUILD_INFO_H_

#include <string>

namespace hubspot_gateway {

struct BuildInfo {
  // Semantic version, from the repository's VERSION file.
  std::string version;
  // Full git commit id, "-dirty" appended when tracked files had changes;
  // "unknown" when built outside a git checkout.
  std::string commit;
  // Compiled with NDEBUG (bazel build --config=release: -c opt).
  bool release = false;
};

// "release" or "development".
std::string BuildKind(const BuildInfo& info);

// What `gateway --version` prints, e.g.
//   hubspot-archive-gateway 1.0.0
//   commit 0123456789abcdef0123456789abcdef01234567
//   release build (optimized, NDEBUG)
std::string VersionText(const BuildInfo& info);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUILD_INFO_H_
