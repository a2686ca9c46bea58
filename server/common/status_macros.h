// GATEWAY_RETURN_IF_ERROR(expr): returns the absl::Status of `expr` from the
// enclosing function when it is not OK (abseil 20220623 exports no such macro).
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_STATUS_MACROS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"

#define GATEWAY_RETURN_IF_ERROR(expr)                     \
  do {                                                    \
    if (::absl::Status status_ = (expr); !status_.ok()) { \
      return status_;                                     \
    }                                                     \
  } while (false)

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_STATUS_MACROS_H_
