// The command-line flags of the gRPC layer (auth mode and the tokens behind
// it, the in-flight limit, the stream idle timeout, the log format), parsed and validated into its
// options. Read once at startup.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_API_FLAGS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_API_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/api/associations_archive_service.h"
#include "server/common/environment.h"
#include "server/common/log.h"

namespace hubspot_gateway {

// The service's options; resolves the gateway's token (HUBSPOT_ACCESS_TOKEN,
// then --hubspot_token_file) or loads --callers_file. INVALID_ARGUMENT or
// FAILED_PRECONDITION says what to fix; no message ever contains a token.
// Appends to `warnings` what the operator should fix but need not (a file
// holding a token that every user may read).
absl::StatusOr<ServiceOptions> ServiceOptionsFromFlags(EnvironmentLookup environment,
                                                       std::vector<std::string>* warnings);

// --log_format.
LogFormat LogFormatFromFlags();

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_API_FLAGS_H_
