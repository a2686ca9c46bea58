// BudgetStoreObserver hears how the shared budget store (Redis) behaves, so
// metrics can count it without the budget depending on a metrics library.
// The base class ignores everything; implementations must be thread-safe and
// must not block (they run on the store connection's thread, holding no lock
// of the store's; they take only leaf locks of their own).
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_BUDGET_STORE_OBSERVER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_BUDGET_STORE_OBSERVER_H_

#include "absl/time/time.h"

namespace hubspot_gateway {

class BudgetStoreObserver {
 public:
  virtual ~BudgetStoreObserver() = default;
  // The shared budget store (Redis) answered a reservation after `latency`.
  virtual void OnBudgetStoreReservation(absl::Duration /*latency*/) {}
  // The store failed a command or a connection.
  virtual void OnBudgetStoreError() {}
  // Budgets fell back to their local share (true) or returned to the store.
  virtual void OnBudgetStoreFallback(bool /*active*/) {}
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_BUDGET_BUDGET_STORE_OBSERVER_H_
