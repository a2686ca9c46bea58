#include "simulator/admin_routes.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "simulator/hubspot_responses.h"
#include "simulator/identifiers.h"

namespace hubspot_simulator {
namespace {

using json = nlohmann::json;

void Reply(httplib::Response& response, int status, const json& body) {
  response.status = status;
  response.set_content(SerializeJson(body), kJsonContentType);
}

void ReplyError(httplib::Response& response, const absl::Status& status) {
  Reply(response, 400, {{"error", status.message()}});
}

absl::Status CheckObjectType(absl::string_view field, const json& value) {
  if (!value.is_string() || !IsValidObjectType(value.get<std::string>())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be an object type of 1 to 64 characters [A-Za-z0-9_-]"));
  }
  return absl::OkStatus();
}

struct SeedRequest {
  std::string from_type;
  std::string to_type;
  std::vector<AssociationStore::Pair> pairs;
};

// A pair's optional "labels": [{"category":"USER_DEFINED","type_id":36}, ...].
absl::Status ParseLabels(const json& pair, size_t index, std::vector<AssociationLabel>* labels) {
  const json list = pair.value("labels", json::array());
  const auto bad = [index] {
    return absl::InvalidArgumentError(absl::StrCat(
        "pairs[", index,
        "].labels must be [{\"category\":\"USER_DEFINED\",\"type_id\":36}, ...] with a "
        "category of HUBSPOT_DEFINED, INTEGRATOR_DEFINED, USER_DEFINED or WORK"));
  };
  if (!list.is_array()) return bad();
  for (const json& label : list) {
    const json category = label.is_object() ? label.value("category", json()) : json();
    const json type_id = label.is_object() ? label.value("type_id", json()) : json();
    if (!category.is_string() || !IsValidAssociationCategory(category.get<std::string>()) ||
        !type_id.is_number_integer()) {
      return bad();
    }
    labels->push_back({category.get<std::string>(), type_id.get<int64_t>()});
  }
  return absl::OkStatus();
}

absl::Status ParseSeedRequest(const std::string& body, SeedRequest* seed) {
  const json root = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) {
    return absl::InvalidArgumentError("the body must be a JSON object");
  }
  const json from_type = root.value("from_type", json());
  const json to_type = root.value("to_type", json());
  const json pairs = root.value("pairs", json());
  if (absl::Status status = CheckObjectType("from_type", from_type); !status.ok()) {
    return status;
  }
  if (absl::Status status = CheckObjectType("to_type", to_type); !status.ok()) {
    return status;
  }
  if (!pairs.is_array()) {
    return absl::InvalidArgumentError("pairs must be an array");
  }
  seed->from_type = from_type.get<std::string>();
  seed->to_type = to_type.get<std::string>();
  for (size_t i = 0; i < pairs.size(); ++i) {
    const json& pair = pairs[i];
    const json from = pair.is_object() ? pair.value("from", json()) : json();
    const json to = pair.is_object() ? pair.value("to", json()) : json();
    if (!from.is_string() || !IsValidRecordId(from.get<std::string>()) || !to.is_string() ||
        !IsValidRecordId(to.get<std::string>())) {
      return absl::InvalidArgumentError(
          absl::StrCat("pairs[", i,
                       "] must be {\"from\":\"<id>\",\"to\":\"<id>\"} with ids of 1 to 20 "
                       "decimal digits"));
    }
    AssociationStore::Pair seeded{from.get<std::string>(), to.get<std::string>(), {}};
    if (absl::Status status = ParseLabels(pair, i, &seeded.labels); !status.ok()) return status;
    seed->pairs.push_back(std::move(seeded));
  }
  return absl::OkStatus();
}

}  // namespace

AdminRoutes::AdminRoutes(AssociationStore* store, RateLimiter* limiter, FaultInjector* faults,
                         SleepGate* gate, SimulatorStats* stats)
    : store_(store), limiter_(limiter), faults_(faults), gate_(gate), stats_(stats) {}

void AdminRoutes::Register(httplib::Server* server) {
  server->Get("/_admin/associations",
              [this](const httplib::Request& request, httplib::Response& response) {
                ListAssociations(request, response);
              });
  server->Post("/_admin/associations",
               [this](const httplib::Request& request, httplib::Response& response) {
                 SeedAssociations(request, response);
               });
  server->Get("/_admin/stats", [this](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, stats_->ToJson());
  });
  server->Post("/_admin/reset",
               [this](const httplib::Request&, httplib::Response& response) { Reset(response); });
  server->Get("/_admin/faults", [this](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, faults_->ToJson());
  });
  server->Post("/_admin/faults",
               [this](const httplib::Request& request, httplib::Response& response) {
                 SetFaults(request, response);
               });
}

void AdminRoutes::ListAssociations(const httplib::Request& request, httplib::Response& response) {
  const json from_type = request.get_param_value("from_type");
  const json to_type = request.get_param_value("to_type");
  for (const absl::Status& status :
       {CheckObjectType("from_type", from_type), CheckObjectType("to_type", to_type)}) {
    if (!status.ok()) return ReplyError(response, status);
  }
  json associations = json::array();
  for (const AssociationStore::Pair& pair :
       store_->List(from_type.get<std::string>(), to_type.get<std::string>())) {
    json association = {{"from", pair.from_id}, {"to", pair.to_id}};
    for (const AssociationLabel& label : pair.labels) {
      association["labels"].push_back({{"category", label.category}, {"type_id", label.type_id}});
    }
    associations.push_back(std::move(association));
  }
  Reply(response, 200, {{"associations", std::move(associations)}});
}

void AdminRoutes::SeedAssociations(const httplib::Request& request, httplib::Response& response) {
  SeedRequest seed;
  if (absl::Status status = ParseSeedRequest(request.body, &seed); !status.ok()) {
    return ReplyError(response, status);
  }
  int64_t added = 0;
  for (const AssociationStore::Pair& pair : seed.pairs) {
    added += store_->Add(seed.from_type, seed.to_type, pair.from_id, {pair.to_id}, pair.labels);
  }
  Reply(response, 200, {{"added", added}});
}

void AdminRoutes::SetFaults(const httplib::Request& request, httplib::Response& response) {
  const json patch = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (patch.is_discarded()) {
    return ReplyError(response, absl::InvalidArgumentError("the body is not valid JSON"));
  }
  if (absl::Status status = faults_->Apply(patch); !status.ok()) {
    return ReplyError(response, status);
  }
  Reply(response, 200, {{"ok", true}});
}

void AdminRoutes::Reset(httplib::Response& response) {
  store_->Clear();
  stats_->Reset();
  faults_->Reset();
  limiter_->Reset();
  gate_->ReleaseAll();
  Reply(response, 200, {{"ok", true}});
}

}  // namespace hubspot_simulator
