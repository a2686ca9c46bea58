// Parses and validates the JSON bodies of HubSpot's association batch calls
// (batch/archive, batch/labels/archive, batch/associate/default, batch/read), turning anything
// malformed into a HubSpot-style validation error. Pure functions; thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_BATCH_REQUEST_PARSER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_BATCH_REQUEST_PARSER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "simulator/identifiers.h"

namespace hubspot_simulator {

// One entry of a HubSpot 400 VALIDATION_ERROR answer.
struct ValidationError {
  std::string message;  // The top-level "message".
  std::string detail;   // errors[0].message
  std::string in;       // errors[0].in, e.g. "inputs[0].from.id"
  std::string code;     // errors[0].code, e.g. "INVALID_FORMAT"
};

// {"from":{"id":"1"},"to":[{"id":"2"},...]}
struct ArchiveInput {
  std::string from_id;
  std::vector<std::string> to_ids;
};

// {"from":{"id":"1"},"to":{"id":"2"}}
struct AssociateInput {
  std::string from_id;
  std::string to_id;
};

// {"from":{"id":"1"},"to":{"id":"2"},"types":[{"associationCategory":
//  "USER_DEFINED","associationTypeId":36}]}
struct LabelArchiveInput {
  std::string from_id;
  std::string to_id;
  std::vector<AssociationLabel> types;
};

template <typename Input>
struct ParsedBatch {
  std::vector<Input> inputs;  // Empty when `error` is set.
  // Length of the body's "inputs" array, even when it is invalid (0 if absent).
  size_t received_inputs = 0;
  std::optional<ValidationError> error;
};

// Each parser requires {"inputs":[...]} with 1 to `max_inputs` entries and ids
// of 1 to 20 decimal digits given as JSON strings; other fields are ignored.
ParsedBatch<ArchiveInput> ParseArchiveBody(absl::string_view body, size_t max_inputs);
// Also requires a non-empty "types" whose categories are HubSpot's four and
// whose type ids are int32 numbers.
ParsedBatch<LabelArchiveInput> ParseLabelArchiveBody(absl::string_view body, size_t max_inputs);
ParsedBatch<AssociateInput> ParseAssociateBody(absl::string_view body, size_t max_inputs);
// batch/read inputs are {"id":"1"}; the result holds the ids.
ParsedBatch<std::string> ParseReadBody(absl::string_view body, size_t max_inputs);

// A validation error about a URL path parameter such as "fromObjectType".
ValidationError InvalidPathParameter(absl::string_view name, absl::string_view value);

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_BATCH_REQUEST_PARSER_H_
