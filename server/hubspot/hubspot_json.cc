#include "server/hubspot/hubspot_json.h"

#include <cstdint>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "server/common/status_macros.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;
using json = nlohmann::json;

// Deeper JSON values are refused rather than risking the stack.
constexpr int kMaxValueDepth = 64;
// How much of a non-JSON error body is kept.
constexpr size_t kMaxRawBodyBytes = 512;

absl::Status WrongType(absl::string_view path, absl::string_view expected) {
  return absl::InternalError(
      absl::StrCat("HubSpot's answer has a wrong type at '", path, "': expected ", expected));
}

// The member `key` of `object`, or nullptr when absent or null.
const json* Member(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::Status ReadString(const json& object, const char* key, absl::string_view path,
                        std::string* out) {
  const json* value = Member(object, key);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_string()) return WrongType(absl::StrCat(path, key), "string");
  *out = value->get_ref<const std::string&>();
  return absl::OkStatus();
}

// A scalar as text: strings as they are, numbers and booleans as JSON.
std::string ScalarText(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

absl::Status ToValue(const json& in, int depth, google::protobuf::Value* out) {
  if (depth > kMaxValueDepth) {
    return absl::InternalError("HubSpot's answer nests JSON too deeply");
  }
  switch (in.type()) {
    case json::value_t::null:
      out->set_null_value(google::protobuf::NULL_VALUE);
      return absl::OkStatus();
    case json::value_t::boolean:
      out->set_bool_value(in.get<bool>());
      return absl::OkStatus();
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      out->set_number_value(in.get<double>());
      return absl::OkStatus();
    case json::value_t::string:
      out->set_string_value(in.get_ref<const std::string&>());
      return absl::OkStatus();
    case json::value_t::array: {
      auto* list = out->mutable_list_value();
      for (const json& element : in) {
        GATEWAY_RETURN_IF_ERROR(ToValue(element, depth + 1, list->add_values()));
      }
      return absl::OkStatus();
    }
    case json::value_t::object: {
      auto* fields = out->mutable_struct_value()->mutable_fields();
      for (const auto& [key, element] : in.items()) {
        GATEWAY_RETURN_IF_ERROR(ToValue(element, depth + 1, &(*fields)[key]));
      }
      return absl::OkStatus();
    }
    default:  // binary and discarded values never come from a text parse.
      return absl::InternalError("HubSpot's answer has an unsupported JSON value");
  }
}

absl::Status ReadStringMap(const json& object, const char* key, absl::string_view path,
                           google::protobuf::Map<std::string, std::string>* out) {
  const json* value = Member(object, key);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_object()) return WrongType(absl::StrCat(path, key), "object");
  for (const auto& [name, element] : value->items()) {
    if (!element.is_primitive()) {
      return WrongType(absl::StrCat(path, key, ".", name), "string");
    }
    (*out)[name] = ScalarText(element);
  }
  return absl::OkStatus();
}

// Parses the Java-style rendering some docs show for a context:
// "{missingScopes=[scope1, scope2], other=[x]}".
void ParseContextText(absl::string_view text,
                      google::protobuf::Map<std::string, v1::StringList>* out) {
  absl::string_view body = absl::StripAsciiWhitespace(text);
  if (!absl::ConsumePrefix(&body, "{") || !absl::ConsumeSuffix(&body, "}")) {
    (*out)["value"].add_values(std::string(text));
    return;
  }
  for (absl::string_view entry : absl::StrSplit(body, "], ", absl::SkipEmpty())) {
    const size_t equals = entry.find('=');
    if (equals == absl::string_view::npos) continue;
    absl::string_view values = entry.substr(equals + 1);
    absl::ConsumePrefix(&values, "[");
    absl::ConsumeSuffix(&values, "]");
    auto& list = (*out)[std::string(absl::StripAsciiWhitespace(entry.substr(0, equals)))];
    for (absl::string_view item : absl::StrSplit(values, ',', absl::SkipEmpty())) {
      list.add_values(std::string(absl::StripAsciiWhitespace(item)));
    }
  }
}

// A context: an object of string arrays (scalars are accepted as one-element
// lists), or the Java-style text rendering.
absl::Status ReadContext(const json& object, const char* key, absl::string_view path,
                         google::protobuf::Map<std::string, v1::StringList>* out) {
  const json* value = Member(object, key);
  if (value == nullptr) return absl::OkStatus();
  if (value->is_string()) {
    ParseContextText(value->get_ref<const std::string&>(), out);
    return absl::OkStatus();
  }
  if (!value->is_object()) return WrongType(absl::StrCat(path, key), "object");
  for (const auto& [name, element] : value->items()) {
    v1::StringList& list = (*out)[name];
    if (element.is_primitive()) {
      if (!element.is_null()) list.add_values(ScalarText(element));
      continue;
    }
    if (!element.is_array()) {
      return WrongType(absl::StrCat(path, key, ".", name), "array of strings");
    }
    for (const json& item : element) {
      if (!item.is_primitive()) {
        return WrongType(absl::StrCat(path, key, ".", name), "array of strings");
      }
      list.add_values(ScalarText(item));
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeErrorDetail(const json& in, absl::string_view path, v1::ErrorDetail* out) {
  if (!in.is_object()) return WrongType(path, "object");
  const std::string prefix = absl::StrCat(path, ".");
  GATEWAY_RETURN_IF_ERROR(ReadString(in, "message", prefix, out->mutable_message()));
  GATEWAY_RETURN_IF_ERROR(ReadString(in, "code", prefix, out->mutable_code()));
  GATEWAY_RETURN_IF_ERROR(ReadString(in, "in", prefix, out->mutable_in_field()));
  if (const json* sub = Member(in, "subCategory"); sub != nullptr) {
    out->set_sub_category(ScalarText(*sub));
  }
  return ReadContext(in, "context", prefix, out->mutable_context());
}

absl::Status DecodeErrorDetails(const json& object, absl::string_view path,
                                google::protobuf::RepeatedPtrField<v1::ErrorDetail>* out) {
  const json* errors = Member(object, "errors");
  if (errors == nullptr) return absl::OkStatus();
  if (!errors->is_array()) return WrongType(absl::StrCat(path, "errors"), "array");
  for (size_t i = 0; i < errors->size(); ++i) {
    GATEWAY_RETURN_IF_ERROR(
        DecodeErrorDetail((*errors)[i], absl::StrCat(path, "errors[", i, "]"), out->Add()));
  }
  return absl::OkStatus();
}

absl::Status DecodeStandardError(const json& in, absl::string_view path, v1::StandardError* out) {
  if (!in.is_object()) return WrongType(path, "object");
  const std::string prefix = absl::StrCat(path, ".");
  GATEWAY_RETURN_IF_ERROR(ReadString(in, "status", prefix, out->mutable_status()));
  if (const json* id = Member(in, "id"); id != nullptr) {
    if (!id->is_primitive()) return WrongType(absl::StrCat(prefix, "id"), "string");
    out->set_id(ScalarText(*id));
  }
  GATEWAY_RETURN_IF_ERROR(ReadString(in, "category", prefix, out->mutable_category()));
  if (const json* sub = Member(in, "subCategory"); sub != nullptr) {
    GATEWAY_RETURN_IF_ERROR(ToValue(*sub, 0, out->mutable_sub_category()));
  }
  GATEWAY_RETURN_IF_ERROR(ReadString(in, "message", prefix, out->mutable_message()));
  GATEWAY_RETURN_IF_ERROR(DecodeErrorDetails(in, prefix, out->mutable_errors()));
  GATEWAY_RETURN_IF_ERROR(ReadContext(in, "context", prefix, out->mutable_context()));
  return ReadStringMap(in, "links", prefix, out->mutable_links());
}

// Sets the timestamp `field()` from the date-time string `key`, if present.
absl::Status ReadTime(const json& object, const char* key,
                      absl::FunctionRef<google::protobuf::Timestamp*()> field) {
  const json* value = Member(object, key);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_string()) return WrongType(key, "ISO-8601 date-time string");
  absl::StatusOr<absl::Time> time = ParseHubSpotTime(value->get_ref<const std::string&>());
  if (!time.ok()) {
    return absl::InternalError(
        absl::StrCat("HubSpot's answer has an invalid '", key, "': ", time.status().message()));
  }
  *field() = ToTimestamp(*time);
  return absl::OkStatus();
}

v1::BatchResult::Status ParseBatchStatus(absl::string_view text) {
  v1::BatchResult::Status status = v1::BatchResult::STATUS_UNSPECIFIED;
  if (!v1::BatchResult::Status_Parse(std::string(text), &status)) {
    return v1::BatchResult::STATUS_UNSPECIFIED;
  }
  return status;
}

// Appends `text` as a JSON string literal (quotes included).
void AppendJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (byte < 0x20) {
      absl::StrAppend(out, absl::StrFormat("\\u%04x", byte));
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace

std::string RawBodyExcerpt(absl::string_view body) {
  std::string excerpt;
  for (char c : body.substr(0, kMaxRawBodyBytes)) {
    const auto byte = static_cast<unsigned char>(c);
    excerpt.push_back(byte >= 0x20 && byte < 0x7f ? c : (c == '\n' ? ' ' : '?'));
  }
  return excerpt;
}

std::string EncodeArchiveBody(absl::Span<const ArchiveSlice> slices) {
  // Written directly rather than through a json value: this runs for every
  // upstream request, and building the tree cost about a tenth of a call's
  // instructions (callgrind). Ids are validated digits, but are escaped anyway
  // so the body is JSON whatever it is given.
  std::string body = "{\"inputs\":[";
  for (size_t i = 0; i < slices.size(); ++i) {
    const ArchiveSlice& slice = slices[i];
    absl::StrAppend(&body, i == 0 ? "" : ",", "{\"from\":{\"id\":");
    AppendJsonString(slice.from_id(), &body);
    body += "},\"to\":[";
    for (int j = slice.begin; j < slice.end; ++j) {
      body += j == slice.begin ? "{\"id\":" : ",{\"id\":";
      AppendJsonString(slice.input->to_objects(j).id(), &body);
      body += '}';
    }
    body += "]}";
  }
  body += "]}";
  return body;
}

std::string EncodeLabelsArchiveBody(absl::Span<const ArchiveSlice> slices) {
  // Written directly, as EncodeArchiveBody is.
  std::string body = "{\"inputs\":[";
  for (size_t i = 0; i < slices.size(); ++i) {
    const v1::LabelArchiveInput& input = *slices[i].label_input;
    absl::StrAppend(&body, i == 0 ? "" : ",", "{\"from\":{\"id\":");
    AppendJsonString(input.from_object().id(), &body);
    body += "},\"to\":{\"id\":";
    AppendJsonString(input.to_object().id(), &body);
    body += "},\"types\":[";
    for (int j = slices[i].begin; j < slices[i].end; ++j) {
      const v1::AssociationType& type = input.types(j);
      absl::StrAppend(&body, j == slices[i].begin ? "" : ",", "{\"associationCategory\":");
      AppendJsonString(v1::AssociationCategory_Name(type.category()), &body);
      absl::StrAppend(&body, ",\"associationTypeId\":", type.type_id(), "}");
    }
    body += "]}";
  }
  body += "]}";
  return body;
}

absl::StatusOr<v1::BatchResult> DecodeBatchResponse(absl::string_view body) {
  const json root = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return absl::InternalError("HubSpot's success answer is not valid JSON");
  }
  if (!root.is_object()) return WrongType("(body)", "object");

  v1::BatchResult result;
  std::string status;
  GATEWAY_RETURN_IF_ERROR(ReadString(root, "status", "", &status));
  result.set_status(ParseBatchStatus(status));

  if (const json* results = Member(root, "results"); results != nullptr) {
    if (!results->is_array()) return WrongType("results", "array");
    for (const json& element : *results) {
      GATEWAY_RETURN_IF_ERROR(ToValue(element, 0, result.add_results()));
    }
  }
  GATEWAY_RETURN_IF_ERROR(
      ReadTime(root, "requestedAt", [&] { return result.mutable_requested_at(); }));
  GATEWAY_RETURN_IF_ERROR(ReadTime(root, "startedAt", [&] { return result.mutable_started_at(); }));
  GATEWAY_RETURN_IF_ERROR(
      ReadTime(root, "completedAt", [&] { return result.mutable_completed_at(); }));

  if (const json* errors = Member(root, "errors"); errors != nullptr) {
    if (!errors->is_array()) return WrongType("errors", "array");
    for (size_t i = 0; i < errors->size(); ++i) {
      GATEWAY_RETURN_IF_ERROR(
          DecodeStandardError((*errors)[i], absl::StrCat("errors[", i, "]"), result.add_errors()));
    }
  }
  if (const json* num_errors = Member(root, "numErrors"); num_errors != nullptr) {
    if (!num_errors->is_number_integer() || num_errors->get<int64_t>() < INT32_MIN ||
        num_errors->get<int64_t>() > INT32_MAX) {
      return WrongType("numErrors", "int32");
    }
    result.set_num_errors(num_errors->get<int32_t>());
  } else {
    result.set_num_errors(result.errors_size());
  }
  GATEWAY_RETURN_IF_ERROR(ReadStringMap(root, "links", "", result.mutable_links()));
  // Without one of HubSpot's four statuses the answer says nothing about what
  // happened: reporting it COMPLETE (or STATUS_UNSPECIFIED) would be a guess.
  if (result.status() == v1::BatchResult::STATUS_UNSPECIFIED) {
    return absl::InternalError(
        status.empty()
            ? "HubSpot's success answer is not a BatchResponse: it has no \"status\""
            : absl::StrCat("HubSpot's success answer is not a BatchResponse: its \"status\" \"",
                           RawBodyExcerpt(status),
                           "\" is not PENDING, PROCESSING, CANCELED or COMPLETE"));
  }
  return result;
}

absl::StatusOr<v1::BatchResult> DecodeAssociationLabels(absl::string_view body) {
  const json root = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return absl::InternalError("HubSpot's association labels answer is not valid JSON");
  }
  if (!root.is_object()) return WrongType("(body)", "object");
  const json* results = Member(root, "results");
  if (results == nullptr || !results->is_array()) return WrongType("results", "array");
  v1::BatchResult result;
  result.set_status(v1::BatchResult::COMPLETE);
  for (size_t i = 0; i < results->size(); ++i) {
    const json& item = (*results)[i];
    const std::string path = absl::StrCat("results[", i, "]");
    if (!item.is_object()) return WrongType(path, "object");
    const json* category = Member(item, "category");
    if (category == nullptr || !category->is_string()) {
      return WrongType(absl::StrCat(path, ".category"), "string");
    }
    const json* type_id = Member(item, "typeId");
    if (type_id == nullptr || !type_id->is_number_integer() ||
        type_id->get<int64_t>() < INT32_MIN || type_id->get<int64_t>() > INT32_MAX) {
      return WrongType(absl::StrCat(path, ".typeId"), "int32");
    }
    const json* label = Member(item, "label");
    if (label != nullptr && !label->is_string()) {
      return WrongType(absl::StrCat(path, ".label"), "string or null");
    }
    google::protobuf::Struct& type = *result.add_results()->mutable_struct_value();
    (*type.mutable_fields())["category"].set_string_value(category->get<std::string>());
    (*type.mutable_fields())["typeId"].set_number_value(type_id->get<int64_t>());
    if (label == nullptr) {
      (*type.mutable_fields())["label"].set_null_value(google::protobuf::NULL_VALUE);
    } else {
      (*type.mutable_fields())["label"].set_string_value(label->get<std::string>());
    }
  }
  return result;
}

v1::UpstreamError DecodeUpstreamError(int http_status, absl::string_view body) {
  v1::UpstreamError error;
  error.set_http_status(http_status);
  const json root = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    error.set_raw_body(RawBodyExcerpt(body));
    return error;
  }
  // Every field is optional and a mistyped one is skipped: the request has
  // already failed, and the rest of the body is still worth reporting.
  ReadString(root, "status", "", error.mutable_status()).IgnoreError();
  ReadString(root, "category", "", error.mutable_category()).IgnoreError();
  if (const json* sub = Member(root, "subCategory"); sub != nullptr) {
    if (!ToValue(*sub, 0, error.mutable_sub_category()).ok()) error.clear_sub_category();
  }
  ReadString(root, "message", "", error.mutable_message()).IgnoreError();
  ReadString(root, "correlationId", "", error.mutable_correlation_id()).IgnoreError();
  ReadString(root, "policyName", "", error.mutable_policy_name()).IgnoreError();
  ReadString(root, "errorType", "", error.mutable_error_type()).IgnoreError();
  ReadString(root, "requestId", "", error.mutable_request_id()).IgnoreError();
  if (!DecodeErrorDetails(root, "", error.mutable_errors()).ok()) error.clear_errors();
  if (!ReadContext(root, "context", "", error.mutable_context()).ok()) error.clear_context();
  if (!ReadStringMap(root, "links", "", error.mutable_links()).ok()) error.clear_links();
  return error;
}

absl::StatusOr<absl::Time> ParseHubSpotTime(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (absl::ParseTime("%Y-%m-%d%ET%H:%M:%E*S%Ez", text, &time, &error)) {
    return time;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not an ISO-8601 date-time (", error, ")"));
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

}  // namespace hubspot_gateway
