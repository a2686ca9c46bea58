#include "simulator/hubspot_routes.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "simulator/hubspot_responses.h"
#include "simulator/identifiers.h"

namespace hubspot_simulator {
namespace {

using json = nlohmann::json;
using Counter = SimulatorStats::Counter;

// Captures 1 and 2 are the from and to object types; any YYYY-MM version.
constexpr char kBatchPathPrefix[] =
    R"(/crm/(?:associations/\d{4}-\d{2}|v4/associations)/([^/]+)/([^/]+)/batch/)";

// HubSpot's association batch/read accepts 1,000 inputs; batch creation is
// given the same room so tests can seed through it.
constexpr size_t kReadAndAssociateMaxInputs = 1000;

// The Content-Length announced by a dropped answer that never arrives.
constexpr size_t kDroppedBodyLength = 64;

// The token of an "Authorization: Bearer <token>" header, or "" if none.
absl::string_view BearerToken(absl::string_view header) {
  constexpr absl::string_view kScheme = "bearer ";
  if (!absl::StartsWithIgnoreCase(header, kScheme)) return "";
  return absl::StripAsciiWhitespace(header.substr(kScheme.size()));
}

}  // namespace

struct HubSpotRoutes::Call {
  const httplib::Request& request;
  httplib::Response& response;
  absl::Time requested_at;
  std::string from_type;
  std::string to_type;
  RateLimiter::Decision limits;
};

HubSpotRoutes::HubSpotRoutes(const HubSpotRoutesOptions& options, AssociationStore* store,
                             RateLimiter* limiter, FaultInjector* faults, SleepGate* gate,
                             SimulatorStats* stats)
    : success_mode_(options.success_mode),
      max_archive_inputs_(options.max_archive_inputs),
      tokens_(options.tokens.begin(), options.tokens.end()),
      tokens_without_scopes_(options.tokens_without_scopes.begin(),
                             options.tokens_without_scopes.end()),
      store_(store),
      limiter_(limiter),
      faults_(faults),
      gate_(gate),
      stats_(stats) {}

void HubSpotRoutes::Register(httplib::Server* server) {
  server->Post(absl::StrCat(kBatchPathPrefix, "archive"),
               [this](const httplib::Request& request, httplib::Response& response) {
                 Archive(request, response);
               });
  server->Post(absl::StrCat(kBatchPathPrefix, "labels/archive"),
               [this](const httplib::Request& request, httplib::Response& response) {
                 ArchiveLabels(request, response);
               });
  server->Post(absl::StrCat(kBatchPathPrefix, "associate/default"),
               [this](const httplib::Request& request, httplib::Response& response) {
                 Associate(request, response);
               });
  server->Post(absl::StrCat(kBatchPathPrefix, "read"),
               [this](const httplib::Request& request, httplib::Response& response) {
                 Read(request, response);
               });
}

HubSpotRoutes::Call HubSpotRoutes::Begin(const httplib::Request& request,
                                         httplib::Response& response) {
  stats_->Add(Counter::kRequests);
  if (request.has_header("Authorization")) {
    stats_->Add(Counter::kAuthorizationHeadersSeen);
  }
  gate_->SleepFor(faults_->Latency());
  return Call{request,
              response,
              absl::Now(),
              request.matches[1].str(),
              request.matches[2].str(),
              RateLimiter::Decision()};
}

bool HubSpotRoutes::Admit(Call& call) {
  const std::string authorization = call.request.get_header_value("Authorization");
  const absl::string_view token = BearerToken(authorization);
  if (!tokens_.contains(token)) {
    call.limits = limiter_->Peek(token);
    if (tokens_without_scopes_.contains(token)) {
      SendJson(call, 403, MissingScopesErrorBody());
    } else {
      SendJson(call, 401, AuthenticationErrorBody());
    }
    return false;
  }
  call.limits = limiter_->Acquire(token);
  switch (call.limits.verdict) {
    case RateLimiter::Verdict::kAllowed:
      return true;
    case RateLimiter::Verdict::kWindowExceeded:
      SendJson(call, 429, RateLimitErrorBody(RateLimitPolicy::kTenSecondlyRolling));
      return false;
    case RateLimiter::Verdict::kDailyExceeded:
      SendJson(call, 429, RateLimitErrorBody(RateLimitPolicy::kDaily));
      return false;
  }
  return false;
}

bool HubSpotRoutes::SurviveFault(Call& call, const FaultPlan& plan) {
  switch (plan.fault) {
    case Fault::kNone:
      return true;
    case Fault::kHang:
      stats_->Add(Counter::kHung);
      gate_->SleepFor(plan.hang);
      return true;
    case Fault::kError:
      SendJson(call, plan.error_status, InternalErrorBody());
      return false;
    case Fault::kRateLimit:
      call.limits.window_remaining = 0;
      SendJson(call, 429, RateLimitErrorBody(RateLimitPolicy::kTenSecondlyRolling));
      return false;
    case Fault::kSecondlyLimit:
      SendJson(call, 429, RateLimitErrorBody(RateLimitPolicy::kSecondly));
      return false;
    case Fault::kBodylessRateLimit:
      Send(call, 429, "", kJsonContentType);
      return false;
    case Fault::kDailyLimit:
      call.limits.daily_remaining = 0;
      SendJson(call, 429, RateLimitErrorBody(RateLimitPolicy::kDaily));
      return false;
    case Fault::kHtmlError:
      Send(call, 502, kHtmlErrorBody, kHtmlContentType);
      return false;
    case Fault::kMalformed:
      stats_->Add(Counter::kMalformed);
      Send(call, 200, kMalformedBody, kJsonContentType);
      return false;
    case Fault::kDrop:
      stats_->Add(Counter::kDropped);
      Drop(call);
      return false;
  }
  return false;
}

bool HubSpotRoutes::Validate(Call& call, const std::optional<ValidationError>& body_error) {
  std::optional<ValidationError> error = body_error;
  if (!IsValidObjectType(call.from_type)) {
    error = InvalidPathParameter("fromObjectType", call.from_type);
  } else if (!IsValidObjectType(call.to_type)) {
    error = InvalidPathParameter("toObjectType", call.to_type);
  }
  if (!error.has_value()) return true;
  SendJson(call, 400, ValidationErrorBody(*error));
  return false;
}

void HubSpotRoutes::SendJson(Call& call, int status, const json& body) {
  Send(call, status, SerializeJson(body), kJsonContentType);
}

void HubSpotRoutes::Send(Call& call, int status, const std::string& body,
                         const char* content_type) {
  httplib::Response& response = call.response;
  response.status = status;
  const RateLimiter::Options& limits = limiter_->options();
  if (limits.window_limit > 0 && limits.window_headers) {
    const int64_t advertised =
        limits.advertised_window_limit > 0 ? limits.advertised_window_limit : limits.window_limit;
    const int64_t used = limits.window_limit - call.limits.window_remaining;
    response.set_header("X-HubSpot-RateLimit-Max", absl::StrCat(advertised));
    response.set_header("X-HubSpot-RateLimit-Remaining",
                        absl::StrCat(std::max<int64_t>(0, advertised - used)));
    response.set_header("X-HubSpot-RateLimit-Interval-Milliseconds",
                        absl::StrCat(absl::ToInt64Milliseconds(limits.window)));
  }
  if (limits.daily_limit > 0) {
    response.set_header("X-HubSpot-RateLimit-Daily", absl::StrCat(limits.daily_limit));
    response.set_header("X-HubSpot-RateLimit-Daily-Remaining",
                        absl::StrCat(call.limits.daily_remaining));
  }
  if (status == 429 || status == 503) {
    const std::string retry_after = faults_->RetryAfter();
    if (!retry_after.empty()) response.set_header("Retry-After", retry_after);
  }
  if (status == 429) stats_->Add(Counter::kRateLimited);
  if (!body.empty()) response.set_content(body, content_type);
  stats_->CountResponse(status);
}

void HubSpotRoutes::Drop(Call& call) {
  call.response.status = 200;
  call.response.set_content_provider(
      kDroppedBodyLength, kJsonContentType,
      [](size_t /*offset*/, size_t /*length*/, httplib::DataSink& /*sink*/) {
        return false;  // Makes cpp-httplib close the connection.
      });
}

void HubSpotRoutes::Archive(const httplib::Request& request, httplib::Response& response) {
  stats_->ObserveArchiveRequest(absl::Now());
  Call call = Begin(request, response);
  const ParsedBatch<ArchiveInput> batch = ParseArchiveBody(request.body, max_archive_inputs_);
  stats_->Add(Counter::kArchiveRequests);
  stats_->Add(Counter::kArchiveInputs, batch.received_inputs);
  stats_->ObserveInputs(batch.received_inputs);
  std::vector<std::string> from_ids;
  from_ids.reserve(batch.inputs.size());
  for (const ArchiveInput& input : batch.inputs) {
    from_ids.push_back(input.from_id);
  }
  if (!Admit(call) || !SurviveFault(call, faults_->PlanArchive(from_ids)) ||
      !Validate(call, batch.error)) {
    return;
  }
  const absl::Time started_at = absl::Now();
  int64_t removed = 0;
  for (const ArchiveInput& input : batch.inputs) {
    removed += store_->Remove(call.from_type, call.to_type, input.from_id, input.to_ids);
  }
  stats_->Add(Counter::kArchivedPairs, removed);
  SendArchived(call, started_at);
}

void HubSpotRoutes::SendArchived(Call& call, absl::Time started_at) {
  if (success_mode_ == SuccessMode::kNoContent) {
    Send(call, 204, "", kJsonContentType);
  } else {
    SendJson(call, 200,
             BatchResponseBody(json::array(), call.requested_at, started_at, absl::Now()));
  }
}

void HubSpotRoutes::ArchiveLabels(const httplib::Request& request, httplib::Response& response) {
  Call call = Begin(request, response);
  const ParsedBatch<LabelArchiveInput> batch =
      ParseLabelArchiveBody(request.body, max_archive_inputs_);
  stats_->Add(Counter::kLabelArchiveRequests);
  stats_->ObserveInputs(batch.received_inputs);
  std::vector<std::string> from_ids;
  from_ids.reserve(batch.inputs.size());
  for (const LabelArchiveInput& input : batch.inputs) from_ids.push_back(input.from_id);
  if (!Admit(call) || !SurviveFault(call, faults_->PlanArchive(from_ids)) ||
      !Validate(call, batch.error)) {
    return;
  }
  const absl::Time started_at = absl::Now();
  int64_t removed = 0;
  json errors = json::array();
  for (const LabelArchiveInput& input : batch.inputs) {
    const std::optional<int64_t> labels =
        store_->RemoveLabels(call.from_type, call.to_type, input.from_id, input.to_id, input.types);
    if (labels.has_value()) {
      removed += *labels;
    } else {
      errors.push_back(
          NoAssociationError(call.from_type, call.to_type, input.from_id, input.to_id));
    }
  }
  stats_->Add(Counter::kArchivedLabels, removed);
  if (errors.empty()) return SendArchived(call, started_at);
  json body = BatchResponseBody(json::array(), call.requested_at, started_at, absl::Now());
  body["numErrors"] = errors.size();
  body["errors"] = std::move(errors);
  SendJson(call, 207, body);
}

void HubSpotRoutes::Associate(const httplib::Request& request, httplib::Response& response) {
  Call call = Begin(request, response);
  const ParsedBatch<AssociateInput> batch =
      ParseAssociateBody(request.body, kReadAndAssociateMaxInputs);
  if (!Admit(call) || !SurviveFault(call, faults_->PlanOther()) || !Validate(call, batch.error)) {
    return;
  }
  const absl::Time started_at = absl::Now();
  json results = json::array();
  for (const AssociateInput& input : batch.inputs) {
    store_->Add(call.from_type, call.to_type, input.from_id, {input.to_id});
    results.push_back({{"from", {{"id", input.from_id}}},
                       {"to", {{"id", input.to_id}}},
                       {"associationSpec",
                        {{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 1}}}});
  }
  SendJson(call, 200,
           BatchResponseBody(std::move(results), call.requested_at, started_at, absl::Now()));
}

void HubSpotRoutes::Read(const httplib::Request& request, httplib::Response& response) {
  Call call = Begin(request, response);
  const ParsedBatch<std::string> batch = ParseReadBody(request.body, kReadAndAssociateMaxInputs);
  if (!Admit(call) || !SurviveFault(call, faults_->PlanOther()) || !Validate(call, batch.error)) {
    return;
  }
  const absl::Time started_at = absl::Now();
  json results = json::array();
  for (const std::string& from_id : batch.inputs) {
    const std::vector<std::string> to_ids = store_->Read(call.from_type, call.to_type, from_id);
    if (to_ids.empty()) continue;
    json to = json::array();
    for (const std::string& to_id : to_ids) {
      to.push_back(
          {{"toObjectId", RecordIdJson(to_id)},
           {"associationTypes",
            json::array({{{"category", "HUBSPOT_DEFINED"}, {"typeId", 1}, {"label", nullptr}}})}});
    }
    results.push_back({{"from", {{"id", from_id}}}, {"to", std::move(to)}});
  }
  SendJson(call, 200,
           BatchResponseBody(std::move(results), call.requested_at, started_at, absl::Now()));
}

}  // namespace hubspot_simulator
