#include "server/this_build.h"

#include "server/build_stamp.h"

namespace hubspot_gateway {

const BuildInfo& ThisBuild() {
#ifdef NDEBUG
  constexpr bool kRelease = true;
#else
  constexpr bool kRelease = false;
#endif
  static const BuildInfo* const info =
      new BuildInfo{HUBSPOT_GATEWAY_VERSION, HUBSPOT_GATEWAY_GIT_COMMIT, kRelease};
  return *info;
}

}  // namespace hubspot_gateway
