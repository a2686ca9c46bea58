#include "simulator/fault_injector.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace hubspot_simulator {
namespace {

using json = nlohmann::json;

constexpr std::pair<const char*, int64_t FaultSettings::*> kCountFields[] = {
    {"latency_ms", &FaultSettings::latency_ms},
    {"hang_ms", &FaultSettings::hang_ms},
    {"rate_limit_next", &FaultSettings::rate_limit_next},
    {"secondly_limit_next", &FaultSettings::secondly_limit_next},
    {"bodyless_rate_limit_next", &FaultSettings::bodyless_rate_limit_next},
    {"daily_limit_next", &FaultSettings::daily_limit_next},
    {"fail_next", &FaultSettings::fail_next},
    {"html_error_next", &FaultSettings::html_error_next},
    {"drop_next", &FaultSettings::drop_next},
    {"malformed_next", &FaultSettings::malformed_next},
    {"hang_next", &FaultSettings::hang_next},
    {"labels_read_fail_next", &FaultSettings::labels_read_fail_next},
};

constexpr std::pair<const char*, double FaultSettings::*> kRateFields[] = {
    {"error_rate", &FaultSettings::error_rate},
    {"drop_rate", &FaultSettings::drop_rate},
    {"malformed_rate", &FaultSettings::malformed_rate},
    {"hang_rate", &FaultSettings::hang_rate},
};

// Counters in the order PlanArchive consumes them.
constexpr std::pair<int64_t FaultSettings::*, Fault> kCounterFaults[] = {
    {&FaultSettings::rate_limit_next, Fault::kRateLimit},
    {&FaultSettings::secondly_limit_next, Fault::kSecondlyLimit},
    {&FaultSettings::bodyless_rate_limit_next, Fault::kBodylessRateLimit},
    {&FaultSettings::daily_limit_next, Fault::kDailyLimit},
    {&FaultSettings::fail_next, Fault::kError},
    {&FaultSettings::html_error_next, Fault::kHtmlError},
    {&FaultSettings::drop_next, Fault::kDrop},
    {&FaultSettings::malformed_next, Fault::kMalformed},
    {&FaultSettings::hang_next, Fault::kHang},
};

// Rates in the order one uniform draw is matched against them.
constexpr std::pair<double FaultSettings::*, Fault> kRateFaults[] = {
    {&FaultSettings::error_rate, Fault::kError},
    {&FaultSettings::drop_rate, Fault::kDrop},
    {&FaultSettings::malformed_rate, Fault::kMalformed},
    {&FaultSettings::hang_rate, Fault::kHang},
};

absl::Status MustBe(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("fault field '", field, "' must be ", what));
}

absl::Status ApplyField(const std::string& field, const json& value, FaultSettings* settings) {
  for (const auto& [name, member] : kCountFields) {
    if (field != name) continue;
    if (!value.is_number_integer() || value.get<int64_t>() < 0) {
      return MustBe(field, "a non-negative integer");
    }
    settings->*member = value.get<int64_t>();
    return absl::OkStatus();
  }
  for (const auto& [name, member] : kRateFields) {
    if (field != name) continue;
    if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1) {
      return MustBe(field, "a number from 0 to 1");
    }
    settings->*member = value.get<double>();
    return absl::OkStatus();
  }
  if (field == "error_status") {
    if (!value.is_number_integer() || value.get<int64_t>() < 400 || value.get<int64_t>() > 599) {
      return MustBe(field, "an HTTP status from 400 to 599");
    }
    settings->error_status = value.get<int>();
    return absl::OkStatus();
  }
  if (field == "retry_after") {
    if (!value.is_null() && !value.is_string()) {
      return MustBe(field, "a string or null");
    }
    settings->retry_after = value.is_null() ? "" : value.get<std::string>();
    return absl::OkStatus();
  }
  if (field == "fail_from_ids") {
    if (!value.is_array() ||
        !std::all_of(value.begin(), value.end(), [](const json& id) { return id.is_string(); })) {
      return MustBe(field, "an array of strings");
    }
    settings->fail_from_ids.clear();
    for (const json& id : value) {
      settings->fail_from_ids.insert(id.get<std::string>());
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown fault field '", field, "'"));
}

}  // namespace

absl::Status ApplyFaultPatch(const json& patch, FaultSettings* settings) {
  if (!patch.is_object()) {
    return absl::InvalidArgumentError("faults must be a JSON object");
  }
  FaultSettings updated = *settings;
  for (const auto& [field, value] : patch.items()) {
    absl::Status status = ApplyField(field, value, &updated);
    if (!status.ok()) return status;
  }
  *settings = std::move(updated);
  return absl::OkStatus();
}

json FaultSettingsToJson(const FaultSettings& settings) {
  json out = json::object();
  for (const auto& [name, member] : kCountFields) out[name] = settings.*member;
  for (const auto& [name, member] : kRateFields) out[name] = settings.*member;
  out["error_status"] = settings.error_status;
  out["retry_after"] = settings.retry_after.empty() ? json(nullptr) : json(settings.retry_after);
  std::vector<std::string> ids(settings.fail_from_ids.begin(), settings.fail_from_ids.end());
  std::sort(ids.begin(), ids.end());
  out["fail_from_ids"] = ids;
  return out;
}

FaultInjector::FaultInjector(FaultSettings initial)
    : initial_(std::move(initial)), current_(initial_) {}

FaultPlan FaultInjector::Plan(Fault fault) const {
  FaultPlan plan;
  plan.fault = fault;
  plan.error_status = current_.error_status;
  plan.hang = absl::Milliseconds(current_.hang_ms);
  return plan;
}

FaultPlan FaultInjector::PlanFromRates() const {
  thread_local absl::BitGen bit_gen;
  double draw = absl::Uniform(bit_gen, 0.0, 1.0);
  for (const auto& [rate, fault] : kRateFaults) {
    if (draw < current_.*rate) return Plan(fault);
    draw -= current_.*rate;
  }
  return Plan(Fault::kNone);
}

FaultPlan FaultInjector::PlanArchive(absl::Span<const std::string> from_ids) {
  absl::MutexLock lock(&mu_);
  for (const auto& [counter, fault] : kCounterFaults) {
    if (current_.*counter > 0) {
      --(current_.*counter);
      return Plan(fault);
    }
  }
  for (const std::string& id : from_ids) {
    if (current_.fail_from_ids.contains(id)) return Plan(Fault::kError);
  }
  return PlanFromRates();
}

FaultPlan FaultInjector::PlanLabelsRead() {
  absl::MutexLock lock(&mu_);
  if (current_.labels_read_fail_next > 0) {
    --current_.labels_read_fail_next;
    return Plan(Fault::kError);
  }
  return PlanFromRates();
}

FaultPlan FaultInjector::PlanOther() {
  absl::MutexLock lock(&mu_);
  return PlanFromRates();
}

absl::Duration FaultInjector::Latency() const {
  absl::MutexLock lock(&mu_);
  return absl::Milliseconds(current_.latency_ms);
}

std::string FaultInjector::RetryAfter() const {
  absl::MutexLock lock(&mu_);
  return current_.retry_after;
}

absl::Status FaultInjector::Apply(const json& patch) {
  absl::MutexLock lock(&mu_);
  return ApplyFaultPatch(patch, &current_);
}

json FaultInjector::ToJson() const {
  absl::MutexLock lock(&mu_);
  return FaultSettingsToJson(current_);
}

void FaultInjector::Reset() {
  absl::MutexLock lock(&mu_);
  current_ = initial_;
}

}  // namespace hubspot_simulator
