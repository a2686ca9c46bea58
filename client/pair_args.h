// Parses the sample client's `--pair=FROM:TO[,TO...]` arguments into archive
// inputs. Pure functions: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_CLIENT_PAIR_ARGS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_CLIENT_PAIR_ARGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"

namespace hubspot_gateway {

// "101:201,202" -> from 101, to 201 and 202. Ids are checked by the gateway.
absl::StatusOr<hubspot::crm::associations::v1::ArchiveInput> ParsePair(absl::string_view text);

// Removes every `--pair=X` and `--pair X` from argv (absl flags keep only the
// last value of a repeated flag) and returns the values in order.
std::vector<std::string> ExtractPairArgs(int& argc, char** argv);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_CLIENT_PAIR_ARGS_H_
