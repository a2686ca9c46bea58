// Translation between the gateway's protos and HubSpot's JSON: the archive
// and labels-archive request bodies, the BatchResponse of a success, the list of
// an object pair's association types, and the error body of a rejected request. Pure functions:
// thread-safe, never throw, never crash on any input (wrong types and non-JSON bodies become errors
// or raw text).
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_HUBSPOT_JSON_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_HUBSPOT_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "google/protobuf/timestamp.pb.h"
#include "hubspot/crm/associations/v1/associations_archive.pb.h"
#include "server/hubspot/archive_slice.h"

namespace hubspot_gateway {

// `{"inputs":[{"from":{"id":..},"to":[{"id":..},..]},..]}` in the given order.
// The slices must be of archive inputs.
std::string EncodeArchiveBody(absl::Span<const ArchiveSlice> slices);

// `{"inputs":[{"from":{"id":..},"to":{"id":..},"types":[{"associationCategory":
// "USER_DEFINED","associationTypeId":36},..]},..]}` in the given order. The
// slices must be of label inputs.
std::string EncodeLabelsArchiveBody(absl::Span<const ArchiveSlice> slices);

// Decodes a 200/207 BatchResponse. Unknown fields are ignored and absent ones
// stay unset; a field of the wrong type, an unparseable date-time, a body
// that is not a JSON object, or a `status` that is absent or not one of
// HubSpot's four (so `{}` too) is INTERNAL naming the field.
absl::StatusOr<hubspot::crm::associations::v1::BatchResult> DecodeBatchResponse(
    absl::string_view body);

// Decodes the 200 answer of HubSpot's association-labels read (GET
// .../{from}/{to}/labels), `{"results":[{"category":"HUBSPOT_DEFINED",
// "typeId":279,"label":null},..]}`, into a COMPLETE BatchResult whose
// `results` are structs {"category": string, "typeId": number, "label":
// string or null (absent or null in the answer)}, in HubSpot's order, so the
// read travels the dispatcher's path like the batch calls. A body that is not
// such a list (no `results` array, an item without a string `category` or an
// int32 `typeId`, a `label` neither string nor null) is INTERNAL naming the field.
absl::StatusOr<hubspot::crm::associations::v1::BatchResult> DecodeAssociationLabels(
    absl::string_view body);

// Decodes HubSpot's error body for a rejected request. Every field is
// optional; a body that is not JSON is kept (truncated) in `raw_body`.
hubspot::crm::associations::v1::UpstreamError DecodeUpstreamError(int http_status,
                                                                  absl::string_view body);

// A printable prefix of `body` (at most 512 bytes; control and non-ASCII bytes
// become '?'), for quoting an answer that could not be read.
std::string RawBodyExcerpt(absl::string_view body);

// Parses an ISO-8601 date-time with or without fractional seconds, with `Z`
// or a numeric offset ("2026-03-01T12:00:00Z", "2026-03-01T12:00:00.123+01:00").
absl::StatusOr<absl::Time> ParseHubSpotTime(absl::string_view text);

// `time` to the nanosecond, rounded down. Times outside 1678-2262 (int64
// nanoseconds since the epoch) saturate, so the result is always a valid Timestamp.
google::protobuf::Timestamp ToTimestamp(absl::Time time);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_HUBSPOT_HUBSPOT_JSON_H_
