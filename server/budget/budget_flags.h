// The command-line flags of the rate budget (the configured limit, the bulk
// lane's share, the longest pause) and of the shared budget store (Redis URL,
// password, replicas, timeout), parsed and validated into BudgetPolicy and
// BudgetStoreOptions. Read once at startup, on the main thread before the
// servers start; no locks, no callbacks.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_BUDGET_FLAGS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_BUDGET_FLAGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/budget/budget.h"
#include "server/budget/redis_budget.h"
#include "server/common/environment.h"

namespace hubspot_gateway {

// Each token's budget policy; INVALID_ARGUMENT naming the flag at fault.
absl::StatusOr<BudgetPolicy> BudgetPolicyFromFlags();

// The shared budget store (--budget_store and its password), or nullopt
// without one. No message holds the password. Appends to `warnings` what
// the operator should fix but need not (a password file every user may read).
absl::StatusOr<std::optional<BudgetStoreOptions>> BudgetStoreOptionsFromFlags(
    EnvironmentLookup environment, std::vector<std::string>* warnings);

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_BUDGET_FLAGS_H_
