#include "simulator/hubspot_schema.h"

#include <cstdint>
#include <limits>
#include <regex>

#include "absl/strings/str_cat.h"

namespace hubspot_simulator {
namespace {

using json = nlohmann::json;
using Problems = std::vector<std::string>;

// Prefixes `field` with `where` ("errors[0]" + "links" = "errors[0].links").
std::string Path(const std::string& where, const std::string& field) {
  return where.empty() ? field : absl::StrCat(where, ".", field);
}

bool IsInt32(const json& value) {
  return value.is_number_integer() && value.get<int64_t>() >= std::numeric_limits<int32_t>::min() &&
         value.get<int64_t>() <= std::numeric_limits<int32_t>::max();
}

bool IsDateTime(const json& value) {
  static const std::regex kDateTime(
      R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))");
  return value.is_string() && std::regex_match(value.get<std::string>(), kDateTime);
}

bool IsUuid(const json& value) {
  static const std::regex kUuid(
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  return value.is_string() && std::regex_match(value.get<std::string>(), kUuid);
}

bool IsStringMap(const json& value) {
  if (!value.is_object()) return false;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) return false;
  }
  return true;
}

// context: a map of string to array of strings.
bool IsContext(const json& value) {
  if (!value.is_object()) return false;
  for (const auto& [key, list] : value.items()) {
    if (!list.is_array()) return false;
    for (const json& item : list) {
      if (!item.is_string()) return false;
    }
  }
  return true;
}

// Checks `body[field]`: absent is a problem when `required`; present, it must
// pass `valid`, else the problem names `what` it should be.
template <typename Valid>
void Field(const json& body, const std::string& where, const std::string& field, bool required,
           const char* what, Valid valid, Problems& problems) {
  const auto it = body.find(field);
  if (it == body.end()) {
    if (required) problems.push_back(absl::StrCat(Path(where, field), ": required"));
    return;
  }
  if (!valid(*it)) problems.push_back(absl::StrCat(Path(where, field), ": must be ", what));
}

bool IsString(const json& value) { return value.is_string(); }

void ErrorDetailProblems(const json& detail, const std::string& where, Problems& problems) {
  if (!detail.is_object()) {
    problems.push_back(absl::StrCat(where, ": must be an ErrorDetail object"));
    return;
  }
  Field(detail, where, "message", true, "a string", IsString, problems);
  for (const char* field : {"code", "in", "subCategory"}) {
    Field(detail, where, field, false, "a string", IsString, problems);
  }
  Field(detail, where, "context", false, "a map of string to array of strings", IsContext,
        problems);
}

void ErrorDetailsProblems(const json& body, const std::string& where, bool required,
                          Problems& problems) {
  Field(
      body, where, "errors", required, "an array", [](const json& v) { return v.is_array(); },
      problems);
  const auto errors = body.find("errors");
  if (errors == body.end() || !errors->is_array()) return;
  for (size_t i = 0; i < errors->size(); ++i) {
    ErrorDetailProblems((*errors)[i], absl::StrCat(Path(where, "errors"), "[", i, "]"), problems);
  }
}

}  // namespace

Problems BatchResponseProblems(const json& body, ResultItems items) {
  Problems problems;
  if (!body.is_object()) return {"(body): must be a JSON object"};
  Field(
      body, "", "status", true, "one of PENDING, PROCESSING, CANCELED, COMPLETE",
      [](const json& v) {
        return v == "PENDING" || v == "PROCESSING" || v == "CANCELED" || v == "COMPLETE";
      },
      problems);
  Field(
      body, "", "results", true,
      items == ResultItems::kObjects ? "an array of objects" : "an array",
      [items](const json& v) {
        if (!v.is_array()) return false;
        if (items == ResultItems::kAnything) return true;
        for (const json& item : v) {
          if (!item.is_object()) return false;
        }
        return true;
      },
      problems);
  Field(body, "", "startedAt", true, "an ISO-8601 date-time", IsDateTime, problems);
  Field(body, "", "completedAt", true, "an ISO-8601 date-time", IsDateTime, problems);
  Field(body, "", "requestedAt", false, "an ISO-8601 date-time", IsDateTime, problems);
  Field(body, "", "numErrors", false, "an int32", IsInt32, problems);
  Field(body, "", "links", false, "a map of string to string", IsStringMap, problems);
  Field(
      body, "", "errors", false, "an array", [](const json& v) { return v.is_array(); }, problems);
  if (const auto errors = body.find("errors"); errors != body.end() && errors->is_array()) {
    for (size_t i = 0; i < errors->size(); ++i) {
      const Problems found = StandardErrorProblems((*errors)[i], absl::StrCat("errors[", i, "]"));
      problems.insert(problems.end(), found.begin(), found.end());
    }
  }
  return problems;
}

Problems StandardErrorProblems(const json& error, const std::string& where) {
  Problems problems;
  if (!error.is_object()) return {absl::StrCat(where, ": must be a StandardError object")};
  for (const char* field : {"status", "category", "message"}) {
    Field(error, where, field, true, "a string", IsString, problems);
  }
  Field(error, where, "id", false, "a string", IsString, problems);
  Field(
      error, where, "subCategory", false, "an object (or a string)",
      [](const json& v) { return v.is_object() || v.is_string(); }, problems);
  Field(error, where, "context", true, "a map of string to array of strings", IsContext, problems);
  Field(error, where, "links", true, "a map of string to string", IsStringMap, problems);
  ErrorDetailsProblems(error, where, /*required=*/true, problems);
  return problems;
}

Problems ErrorProblems(const json& body) {
  Problems problems;
  if (!body.is_object()) return {"(body): must be a JSON object"};
  Field(body, "", "category", true, "a string", IsString, problems);
  Field(body, "", "message", true, "a string", IsString, problems);
  Field(body, "", "correlationId", true, "a uuid", IsUuid, problems);
  Field(body, "", "status", false, "a string", IsString, problems);
  Field(
      body, "", "subCategory", false, "an object (or a string)",
      [](const json& v) { return v.is_object() || v.is_string(); }, problems);
  Field(body, "", "context", false, "a map of string to array of strings", IsContext, problems);
  Field(body, "", "links", false, "a map of string to string", IsStringMap, problems);
  ErrorDetailsProblems(body, "", /*required=*/false, problems);
  return problems;
}

Problems AssociationTypesProblems(const json& body) {
  Problems problems;
  if (!body.is_object()) return {"(body): must be a JSON object"};
  Field(
      body, "", "results", true, "an array", [](const json& v) { return v.is_array(); }, problems);
  const auto results = body.find("results");
  if (results == body.end() || !results->is_array()) return problems;
  for (size_t i = 0; i < results->size(); ++i) {
    const json& type = (*results)[i];
    const std::string where = absl::StrCat("results[", i, "]");
    if (!type.is_object()) {
      problems.push_back(absl::StrCat(where, ": must be an object"));
      continue;
    }
    Field(
        type, where, "category", true,
        "one of HUBSPOT_DEFINED, INTEGRATOR_DEFINED, USER_DEFINED, WORK",
        [](const json& v) {
          return v == "HUBSPOT_DEFINED" || v == "INTEGRATOR_DEFINED" || v == "USER_DEFINED" ||
                 v == "WORK";
        },
        problems);
    Field(type, where, "typeId", true, "an int32", IsInt32, problems);
    Field(
        type, where, "label", false, "a string or null",
        [](const json& v) { return v.is_string() || v.is_null(); }, problems);
  }
  return problems;
}

}  // namespace hubspot_simulator
