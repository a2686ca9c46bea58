#include "server/dispatch/dispatcher.h"

#include <utility>

#include "server/budget/token_budget.h"

namespace hubspot_gateway {

Dispatcher::Dispatcher(DispatchOptions options, HttpTransport& transport, Scheduler& scheduler,
                       ArchiveObserver& observer, absl::BitGenRef random, BudgetFactory budgets)
    : options_(std::move(options)),
      budgets_(budgets != nullptr ? std::move(budgets) : LocalBudgets(options_.budget)),
      scheduler_(scheduler),
      deps_{budgets_, transport, scheduler, observer, random_mu_, random} {}

std::shared_ptr<TokenDispatcher> Dispatcher::For(const std::string& token) {
  const absl::Time now = scheduler_.Now();
  absl::MutexLock lock(&mu_);
  ForgetIdle(now);
  std::shared_ptr<TokenDispatcher>& dispatcher = by_token_[token];
  if (dispatcher == nullptr) dispatcher = std::make_shared<TokenDispatcher>(token, options_, deps_);
  return dispatcher;
}

size_t Dispatcher::tokens() {
  absl::MutexLock lock(&mu_);
  return by_token_.size();
}

void Dispatcher::ForgetIdle(absl::Time now) {
  if (now < next_sweep_) return;
  next_sweep_ = now + absl::Seconds(1);
  for (auto it = by_token_.begin(); it != by_token_.end();) {
    // One held elsewhere is about to be used.
    if (it->second.use_count() == 1 && it->second->Forgettable(now)) {
      deps_.observer.OnTokenForgotten(it->second->fingerprint());
      by_token_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace hubspot_gateway
