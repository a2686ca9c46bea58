// ThisBuild(): the BuildInfo of the running binary, stamped at build time
// (//server:build_stamp: VERSION and the git commit) and NDEBUG. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_THIS_BUILD_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_THIS_BUILD_H_

#include "server/build_info.h"

namespace hubspot_gateway {

const BuildInfo& ThisBuild();

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_THIS_BUILD_H_
