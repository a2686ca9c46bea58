#include "server/build_info.h"

#include "absl/strings/str_cat.h"

namespace hubspot_gateway {

std::string BuildKind(const BuildInfo& info) { return info.release ? "release" : "development"; }

std::string VersionText(const BuildInfo& info) {
  return absl::StrCat("hubspot-archive-gateway ", info.version, "\ncommit ", info.commit, "\n",
                      info.release ? "release build (optimized, NDEBUG)"
                                   : "development build (NDEBUG not defined, assertions on; "
                                     "release builds: bazel build --config=release)",
                      "\n");
}

}  // namespace hubspot_gateway
