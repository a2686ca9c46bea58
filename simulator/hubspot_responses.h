// Builders for the bodies HubSpot's CRM association endpoints answer with:
// error envelopes (400, 401, 403, 429, 5xx), BatchResponse success bodies,
// association types, and the broken bodies used for fault injection. Every
// error envelope carries what HubSpot's `Error` schema requires (category,
// correlationId, message), every per-input error what `StandardError`
// requires (category, context, errors, links, message, status).
// Thread-safe (no shared state).
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_HUBSPOT_RESPONSES_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_HUBSPOT_RESPONSES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "simulator/batch_request_parser.h"
#include "simulator/identifiers.h"

namespace hubspot_simulator {

inline constexpr char kJsonContentType[] = "application/json;charset=utf-8";
inline constexpr char kHtmlContentType[] = "text/html;charset=utf-8";
inline constexpr char kHtmlErrorBody[] = "<html><body>Bad gateway</body></html>";
// A BatchResponse cut short, as a client sees it when a proxy truncates it.
inline constexpr char kMalformedBody[] = R"({"status":"COMPL)";

// The scope that archiving contact associations requires.
inline constexpr char kRequiredScope[] = "crm.objects.contacts.write";

// Serializes `body`, replacing invalid UTF-8 (e.g. echoed from a URL) instead
// of throwing.
std::string SerializeJson(const nlohmann::json& body);

// A random RFC 4122 version 4 UUID, as HubSpot uses for correlationId.
std::string NewCorrelationId();

// ISO-8601 UTC with milliseconds, e.g. "2026-11-29T20:05:47.123Z".
std::string FormatHubSpotTime(absl::Time time);

// 401 INVALID_AUTHENTICATION.
nlohmann::json AuthenticationErrorBody();
// 403 MISSING_SCOPES naming kRequiredScope.
nlohmann::json MissingScopesErrorBody();
// 400 VALIDATION_ERROR.
nlohmann::json ValidationErrorBody(const ValidationError& error);

enum class RateLimitPolicy { kTenSecondlyRolling, kSecondly, kDaily };
// 429 as HubSpot documents it (errorType RATE_LIMIT, the policy's name and
// message, requestId), plus the `category` RATE_LIMITS that `Error` requires.
nlohmann::json RateLimitErrorBody(RateLimitPolicy policy);

// An error answer of HTTP `status` (400..599) with nothing more specific to
// say: an injected error, an unknown route, a body too large. Its category
// follows the status (404 OBJECT_NOT_FOUND, 5xx INTERNAL_ERROR, ...).
nlohmann::json ErrorBodyForStatus(int status);

// {"status":"COMPLETE","results":...,"requestedAt":...,"startedAt":...,
//  "completedAt":...}
nlohmann::json BatchResponseBody(nlohmann::json results, absl::Time requested_at,
                                 absl::Time started_at, absl::Time completed_at);

// The BatchResponse error (a StandardError) for a pair (of a labels input, or
// of an archive input with --archive_missing_as_errors) that is not associated: OBJECT_NOT_FOUND,
// context
// {"fromIds":[from_id],"toIds":[to_id]}, no details, no links.
nlohmann::json NoAssociationError(absl::string_view from_type, absl::string_view to_type,
                                  absl::string_view from_id, absl::string_view to_id);

// An association type as HubSpot lists it: {"category":..,"typeId":..,
// "label":..}; `label` is null for the pair's unlabeled type.
nlohmann::json AssociationTypeJson(const AssociationLabel& type, bool unlabeled);

// A record id as HubSpot writes it in results: a JSON number, or a string for
// ids beyond 64 bits.
nlohmann::json RecordIdJson(absl::string_view id);

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_HUBSPOT_RESPONSES_H_
