// Checks a JSON body against the required fields, types and enums of HubSpot's
// association schemas, as shared/HUBSPOT_API.md lists them from HubSpot's
// published specs (written from those facts, not from the spec files):
// BatchResponse / BatchResponseVoid, StandardError, ErrorDetail, Error, and
// the association types of a labels read. Each check returns the problems it
// found ("errors[0].links: required"), empty when the body conforms.
// For tests (testonly). Pure functions; thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_HUBSPOT_SCHEMA_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_HUBSPOT_SCHEMA_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace hubspot_simulator {

enum class ResultItems {
  kObjects,   // BatchResponse (2026-03): each `results` item is an object.
  kAnything,  // BatchResponseVoid (2026-09): items may be anything.
};

// Required: status (PENDING, PROCESSING, CANCELED or COMPLETE), results
// (array), startedAt, completedAt (ISO-8601 date-times). Optional, checked
// when present: requestedAt, errors (StandardErrors), numErrors (int32),
// links (string map).
std::vector<std::string> BatchResponseProblems(const nlohmann::json& body, ResultItems items);

// StandardError. Required: category, context (string -> array of strings),
// errors (ErrorDetails), links (string map), message, status; optional: id
// (string), subCategory (an object, or a string as seen in practice).
std::vector<std::string> StandardErrorProblems(const nlohmann::json& error,
                                               const std::string& where);

// Error, a whole-request rejection. Required: category, correlationId (a
// uuid), message; optional fields are type-checked when present.
std::vector<std::string> ErrorProblems(const nlohmann::json& body);

// The association-labels read: {"results":[{"category":..,"typeId":..,
// "label":..}]} with HubSpot's four categories, int32 type ids, and a label
// that is a string or null.
std::vector<std::string> AssociationTypesProblems(const nlohmann::json& body);

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_HUBSPOT_SCHEMA_H_
