#include "simulator/hubspot_routes.h"

#include <algorithm>
#include <utility>

#include "absl/container/btree_set.h"
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

// Capture 1 is the YYYY-MM version (unmatched on the v4 path), 2 and 3 the
// from and to object types.
constexpr char kPathPrefix[] =
    R"(/crm/(?:associations/(\d{4}-\d{2})|v4/associations)/([^/]+)/([^/]+)/)";

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

// {"from":{"id":from_id}}, the start of each result object.
json FromJson(const std::string& from_id) { return {{"from", {{"id", from_id}}}}; }

}  // namespace

struct HubSpotRoutes::Call {
  const httplib::Request& request;
  httplib::Response& response;
  absl::Time requested_at;
  std::string api_version;  // "YYYY-MM" or "v4".
  std::string from_type;
  std::string to_type;
  RateLimiter::Decision limits;
};

HubSpotRoutes::HubSpotRoutes(const HubSpotRoutesOptions& options, AssociationStore* store,
                             RateLimiter* limiter, FaultInjector* faults, SleepGate* gate,
                             SimulatorStats* stats)
    : success_mode_(options.success_mode),
      max_archive_inputs_(options.max_archive_inputs),
      archive_missing_as_errors_(options.archive_missing_as_errors),
      tokens_(options.tokens.begin(), options.tokens.end()),
      tokens_without_scopes_(options.tokens_without_scopes.begin(),
                             options.tokens_without_scopes.end()),
      store_(store),
      limiter_(limiter),
      faults_(faults),
      gate_(gate),
      stats_(stats) {}

void HubSpotRoutes::Register(httplib::Server* server) {
  server->Post(absl::StrCat(kPathPrefix, "batch/archive"),
               [this](const httplib::Request& request, httplib::Response& response) {
                 stats_->ArchiveStarted();
                 Archive(request, response);
                 stats_->ArchiveFinished();
               });
  server->Post(absl::StrCat(kPathPrefix, "batch/labels/archive"),
               [this](const httplib::Request& request, httplib::Response& response) {
                 ArchiveLabels(request, response);
               });
  server->Post(absl::StrCat(kPathPrefix, "batch/associate/default"),
               [this](const httplib::Request& request, httplib::Response& response) {
                 Associate(request, response);
               });
  server->Post(absl::StrCat(kPathPrefix, "batch/read"),
               [this](const httplib::Request& request, httplib::Response& response) {
                 Read(request, response);
               });
  server->Get(absl::StrCat(kPathPrefix, "labels"),
              [this](const httplib::Request& request, httplib::Response& response) {
                ReadLabels(request, response);
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
              request.matches[1].matched ? request.matches[1].str() : "v4",
              request.matches[2].str(),
              request.matches[3].str(),
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
      SendJson(call, plan.error_status, ErrorBodyForStatus(plan.error_status));
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
  json results = json::array();
  json errors = json::array();
  for (const ArchiveInput& input : batch.inputs) {
    json result = FromJson(input.from_id);
    if (!archive_missing_as_errors_) {
      removed += store_->Remove(call.from_type, call.to_type, input.from_id, input.to_ids);
      for (const std::string& to_id : input.to_ids) result["to"].push_back({{"id", to_id}});
    } else {
      for (const std::string& to_id : input.to_ids) {
        if (store_->Remove(call.from_type, call.to_type, input.from_id, {to_id}) == 0) {
          errors.push_back(NoAssociationError(call.from_type, call.to_type, input.from_id, to_id));
          continue;
        }
        ++removed;
        result["to"].push_back({{"id", to_id}});
      }
      if (!result.contains("to")) continue;
    }
    results.push_back(std::move(result));
  }
  stats_->Add(Counter::kArchivedPairs, removed);
  SendBatchSuccess(call, started_at, std::move(results), std::move(errors));
}

void HubSpotRoutes::SendBatchSuccess(Call& call, absl::Time started_at, json results, json errors) {
  const SuccessShape shape = SuccessShapeFor(success_mode_, call.api_version);
  if (errors.empty() && shape == SuccessShape::kNoContent) {
    Send(call, 204, "", kJsonContentType);
    return;
  }
  // A BatchResponseVoid's results carry nothing about the inputs.
  if (shape == SuccessShape::kBatchResponseVoid) results = json::array();
  json body = BatchResponseBody(std::move(results), call.requested_at, started_at, absl::Now());
  if (errors.empty()) {
    SendJson(call, 200, body);
    return;
  }
  body["numErrors"] = errors.size();
  body["errors"] = std::move(errors);
  SendJson(call, 207, body);
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
  const AssociationLabel unlabeled = UnlabeledType(call.from_type, call.to_type);
  int64_t removed_labels = 0;
  int64_t removed_pairs = 0;
  json results = json::array();
  json errors = json::array();
  for (const LabelArchiveInput& input : batch.inputs) {
    // HubSpot: "Deleting an unlabeled association will also delete all
    // labeled associations between those two objects."
    const bool whole =
        std::find(input.types.begin(), input.types.end(), unlabeled) != input.types.end();
    bool associated = false;
    if (whole) {
      const int64_t pairs =
          store_->Remove(call.from_type, call.to_type, input.from_id, {input.to_id});
      removed_pairs += pairs;
      associated = pairs > 0;
    } else if (const std::optional<int64_t> labels = store_->RemoveLabels(
                   call.from_type, call.to_type, input.from_id, input.to_id, input.types)) {
      removed_labels += *labels;
      associated = true;
    }
    if (!associated) {
      errors.push_back(
          NoAssociationError(call.from_type, call.to_type, input.from_id, input.to_id));
      continue;
    }
    json result = FromJson(input.from_id);
    result["to"] = {{"id", input.to_id}};
    results.push_back(std::move(result));
  }
  stats_->Add(Counter::kArchivedLabels, removed_labels);
  stats_->Add(Counter::kArchivedPairs, removed_pairs);
  SendBatchSuccess(call, started_at, std::move(results), std::move(errors));
}

void HubSpotRoutes::Associate(const httplib::Request& request, httplib::Response& response) {
  Call call = Begin(request, response);
  const ParsedBatch<AssociateInput> batch =
      ParseAssociateBody(request.body, kReadAndAssociateMaxInputs);
  if (!Admit(call) || !SurviveFault(call, faults_->PlanOther()) || !Validate(call, batch.error)) {
    return;
  }
  const absl::Time started_at = absl::Now();
  const AssociationLabel unlabeled = UnlabeledType(call.from_type, call.to_type);
  json results = json::array();
  for (const AssociateInput& input : batch.inputs) {
    store_->Add(call.from_type, call.to_type, input.from_id, {input.to_id});
    json result = FromJson(input.from_id);
    result["to"] = {{"id", input.to_id}};
    result["associationSpec"] = {{"associationCategory", unlabeled.category},
                                 {"associationTypeId", unlabeled.type_id}};
    results.push_back(std::move(result));
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
  const AssociationLabel unlabeled = UnlabeledType(call.from_type, call.to_type);
  json results = json::array();
  for (const std::string& from_id : batch.inputs) {
    const std::vector<AssociationStore::Pair> pairs =
        store_->Read(call.from_type, call.to_type, from_id);
    if (pairs.empty()) continue;
    json to = json::array();
    for (const AssociationStore::Pair& pair : pairs) {
      json types = json::array({AssociationTypeJson(unlabeled, /*unlabeled=*/true)});
      for (const AssociationLabel& label : pair.labels) {
        if (label != unlabeled) types.push_back(AssociationTypeJson(label, /*unlabeled=*/false));
      }
      to.push_back({{"toObjectId", RecordIdJson(pair.to_id)}, {"associationTypes", types}});
    }
    json result = FromJson(from_id);
    result["to"] = std::move(to);
    results.push_back(std::move(result));
  }
  SendJson(call, 200,
           BatchResponseBody(std::move(results), call.requested_at, started_at, absl::Now()));
}

void HubSpotRoutes::ReadLabels(const httplib::Request& request, httplib::Response& response) {
  Call call = Begin(request, response);
  stats_->Add(Counter::kLabelsReads);
  if (!Admit(call) || !SurviveFault(call, faults_->PlanLabelsRead()) ||
      !Validate(call, std::nullopt)) {
    return;
  }
  const AssociationLabel unlabeled = UnlabeledType(call.from_type, call.to_type);
  absl::btree_set<AssociationLabel> labels;
  for (const AssociationStore::Pair& pair : store_->List(call.from_type, call.to_type)) {
    labels.insert(pair.labels.begin(), pair.labels.end());
  }
  labels.erase(unlabeled);
  json results = json::array({AssociationTypeJson(unlabeled, /*unlabeled=*/true)});
  for (const AssociationLabel& label : labels) {
    results.push_back(AssociationTypeJson(label, /*unlabeled=*/false));
  }
  SendJson(call, 200, {{"results", std::move(results)}});
}

}  // namespace hubspot_simulator
