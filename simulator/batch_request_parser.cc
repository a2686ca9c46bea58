#include "simulator/batch_request_parser.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "simulator/identifiers.h"

namespace hubspot_simulator {
namespace {

using json = nlohmann::json;
using MaybeError = std::optional<ValidationError>;

ValidationError BodyError(const std::string& in, absl::string_view code,
                          const std::string& detail) {
  return ValidationError{absl::StrCat("Invalid input JSON on line 1: ", detail), detail, in,
                         std::string(code)};
}

ValidationError WrongType(const std::string& path, absl::string_view what) {
  return BodyError(path, "INVALID_TYPE", absl::StrCat(path, " must be ", what));
}

// Finds the required member `key` of the JSON object `object`.
MaybeError Field(const json& object, const char* key, const std::string& path, const json** field) {
  const auto it = object.find(key);
  if (it == object.end()) {
    return BodyError(path, "REQUIRED", absl::StrCat(path, " is required"));
  }
  *field = &*it;
  return std::nullopt;
}

// Reads a record reference {"id":"123"} found at `path`.
MaybeError ParseIdRef(const json& ref, const std::string& path, std::string* id) {
  if (!ref.is_object()) return WrongType(path, R"(an object like {"id":"123"})");
  const std::string id_path = absl::StrCat(path, ".id");
  const json* value = nullptr;
  if (MaybeError error = Field(ref, "id", id_path, &value)) return error;
  if (!value->is_string()) return WrongType(id_path, "a string");
  const std::string& text = value->get_ref<const std::string&>();
  if (!IsValidRecordId(text)) {
    return BodyError(id_path, "INVALID_FORMAT",
                     absl::StrCat(id_path,
                                  " must be 1 to 20 decimal digits, "
                                  "got \"",
                                  text, "\""));
  }
  *id = text;
  return std::nullopt;
}

// Reads the record reference held by member `key` of `object`.
MaybeError ParseIdField(const json& object, const char* key, const std::string& object_path,
                        std::string* id) {
  const std::string path = absl::StrCat(object_path, ".", key);
  const json* ref = nullptr;
  if (MaybeError error = Field(object, key, path, &ref)) return error;
  return ParseIdRef(*ref, path, id);
}

MaybeError ParseArchiveInput(const json& input, const std::string& path, ArchiveInput* out) {
  if (!input.is_object()) return WrongType(path, "an object");
  if (MaybeError error = ParseIdField(input, "from", path, &out->from_id)) {
    return error;
  }
  const std::string to_path = absl::StrCat(path, ".to");
  const json* to = nullptr;
  if (MaybeError error = Field(input, "to", to_path, &to)) return error;
  if (!to->is_array()) return WrongType(to_path, "an array");
  if (to->empty()) {
    return BodyError(to_path, "REQUIRED", absl::StrCat(to_path, " must have at least one entry"));
  }
  out->to_ids.resize(to->size());
  for (size_t i = 0; i < to->size(); ++i) {
    if (MaybeError error =
            ParseIdRef((*to)[i], absl::StrCat(to_path, "[", i, "]"), &out->to_ids[i])) {
      return error;
    }
  }
  return std::nullopt;
}

MaybeError ParseLabel(const json& type, const std::string& path, AssociationLabel* out) {
  if (!type.is_object()) return WrongType(path, "an object");
  const std::string category_path = absl::StrCat(path, ".associationCategory");
  const json* category = nullptr;
  if (MaybeError error = Field(type, "associationCategory", category_path, &category)) {
    return error;
  }
  if (!category->is_string()) return WrongType(category_path, "a string");
  out->category = category->get<std::string>();
  if (!IsValidAssociationCategory(out->category)) {
    return BodyError(category_path, "INVALID_ENUM",
                     absl::StrCat(category_path,
                                  " must be one of HUBSPOT_DEFINED, INTEGRATOR_DEFINED, "
                                  "USER_DEFINED, WORK, got \"",
                                  out->category, "\""));
  }
  const std::string type_id_path = absl::StrCat(path, ".associationTypeId");
  const json* type_id = nullptr;
  if (MaybeError error = Field(type, "associationTypeId", type_id_path, &type_id)) return error;
  if (!type_id->is_number_integer() || type_id->get<int64_t>() < INT32_MIN ||
      type_id->get<int64_t>() > INT32_MAX) {
    return WrongType(type_id_path, "an int32 number");
  }
  out->type_id = type_id->get<int64_t>();
  return std::nullopt;
}

MaybeError ParseLabelArchiveInput(const json& input, const std::string& path,
                                  LabelArchiveInput* out) {
  if (!input.is_object()) return WrongType(path, "an object");
  if (MaybeError error = ParseIdField(input, "from", path, &out->from_id)) return error;
  if (MaybeError error = ParseIdField(input, "to", path, &out->to_id)) return error;
  const std::string types_path = absl::StrCat(path, ".types");
  const json* types = nullptr;
  if (MaybeError error = Field(input, "types", types_path, &types)) return error;
  if (!types->is_array()) return WrongType(types_path, "an array");
  if (types->empty()) {
    return BodyError(types_path, "REQUIRED",
                     absl::StrCat(types_path, " must have at least one entry"));
  }
  out->types.resize(types->size());
  for (size_t i = 0; i < types->size(); ++i) {
    if (MaybeError error =
            ParseLabel((*types)[i], absl::StrCat(types_path, "[", i, "]"), &out->types[i])) {
      return error;
    }
  }
  return std::nullopt;
}

MaybeError ParseAssociateInput(const json& input, const std::string& path, AssociateInput* out) {
  if (!input.is_object()) return WrongType(path, "an object");
  if (MaybeError error = ParseIdField(input, "from", path, &out->from_id)) {
    return error;
  }
  return ParseIdField(input, "to", path, &out->to_id);
}

// Checks the {"inputs":[...]} envelope, then parses each entry with
// `parse_input(entry, path, Input*)`.
template <typename Input, typename ParseInput>
ParsedBatch<Input> ParseBatch(absl::string_view body, size_t max_inputs, ParseInput parse_input) {
  ParsedBatch<Input> batch;
  const json root = json::parse(body.begin(), body.end(), nullptr,
                                /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    batch.error = BodyError("body", "INVALID_JSON", "the body is not valid JSON");
    return batch;
  }
  if (!root.is_object()) {
    batch.error = WrongType("body", "a JSON object");
    return batch;
  }
  const json* inputs = nullptr;
  if (MaybeError error = Field(root, "inputs", "inputs", &inputs)) {
    batch.error = std::move(error);
    return batch;
  }
  if (!inputs->is_array()) {
    batch.error = WrongType("inputs", "an array");
    return batch;
  }
  batch.received_inputs = inputs->size();
  if (inputs->empty()) {
    batch.error = BodyError("inputs", "REQUIRED", "inputs must have at least one entry");
    return batch;
  }
  if (inputs->size() > max_inputs) {
    batch.error = BodyError("inputs", "TOO_MANY_INPUTS",
                            absl::StrCat("inputs has ", inputs->size(), " entries, more than the ",
                                         max_inputs, " allowed"));
    return batch;
  }
  batch.inputs.resize(inputs->size());
  for (size_t i = 0; i < inputs->size(); ++i) {
    if (MaybeError error =
            parse_input((*inputs)[i], absl::StrCat("inputs[", i, "]"), &batch.inputs[i])) {
      batch.inputs.clear();
      batch.error = std::move(error);
      return batch;
    }
  }
  return batch;
}

}  // namespace

ParsedBatch<ArchiveInput> ParseArchiveBody(absl::string_view body, size_t max_inputs) {
  return ParseBatch<ArchiveInput>(body, max_inputs, ParseArchiveInput);
}

ParsedBatch<LabelArchiveInput> ParseLabelArchiveBody(absl::string_view body, size_t max_inputs) {
  return ParseBatch<LabelArchiveInput>(body, max_inputs, ParseLabelArchiveInput);
}

ParsedBatch<AssociateInput> ParseAssociateBody(absl::string_view body, size_t max_inputs) {
  return ParseBatch<AssociateInput>(body, max_inputs, ParseAssociateInput);
}

ParsedBatch<std::string> ParseReadBody(absl::string_view body, size_t max_inputs) {
  return ParseBatch<std::string>(body, max_inputs, ParseIdRef);
}

ValidationError InvalidPathParameter(absl::string_view name, absl::string_view value) {
  const std::string detail =
      absl::StrCat(name, " '", value,
                   "' is not a valid object type: expected 1 to 64 characters "
                   "from [A-Za-z0-9_-]");
  return ValidationError{detail, detail, std::string(name), "INVALID_FORMAT"};
}

}  // namespace hubspot_simulator
