// Builders for the bodies HubSpot's CRM association endpoints answer with:
// error envelopes (400, 401, 403, 429, 5xx), BatchResponse success bodies and
// the broken bodies used for fault injection. Thread-safe (no shared state).
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_HUBSPOT_RESPONSES_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_HUBSPOT_RESPONSES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "simulator/batch_request_parser.h"

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
// 429 RATE_LIMIT with the policy's name and message.
nlohmann::json RateLimitErrorBody(RateLimitPolicy policy);

// The body of an injected 5xx.
nlohmann::json InternalErrorBody();

// {"status":"COMPLETE","results":...,"requestedAt":...,"startedAt":...,
//  "completedAt":...}
nlohmann::json BatchResponseBody(nlohmann::json results, absl::Time requested_at,
                                 absl::Time started_at, absl::Time completed_at);

// The BatchResponse error for a labels input whose records are not
// associated: OBJECT_NOT_FOUND, context {"fromIds":[from_id],"toIds":[to_id]}.
nlohmann::json NoAssociationError(absl::string_view from_type, absl::string_view to_type,
                                  absl::string_view from_id, absl::string_view to_id);

// A record id as HubSpot writes it in results: a JSON number, or a string for
// ids beyond 64 bits.
nlohmann::json RecordIdJson(absl::string_view id);

}  // namespace hubspot_simulator

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SIMULATOR_HUBSPOT_RESPONSES_H_
