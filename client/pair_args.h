// Parses the sample client's repeatable arguments: `--pair=FROM:TO[,TO...]`
// into archive inputs and `--label=CATEGORY:TYPE_ID` into association labels.
// Pure functions: thread-safe.
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

// "USER_DEFINED:36" -> that label. INVALID_ARGUMENT for an unknown category or
// a type id that is not an int32 (the gateway checks that it is > 0).
absl::StatusOr<hubspot::crm::associations::v1::AssociationType> ParseLabel(absl::string_view text);

// One label input per (from, to) of `pairs`, each removing every one of `types`.
std::vector<hubspot::crm::associations::v1::LabelArchiveInput> LabelInputs(
    const std::vector<hubspot::crm::associations::v1::ArchiveInput>& pairs,
    const std::vector<hubspot::crm::associations::v1::AssociationType>& types);

// Removes every `--NAME=X` and `--NAME X` from argv (absl flags keep only the
// last value of a repeated flag) and returns the values in order.
std::vector<std::string> ExtractRepeatedArgs(absl::string_view name, int& argc, char** argv);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_CLIENT_PAIR_ARGS_H_
