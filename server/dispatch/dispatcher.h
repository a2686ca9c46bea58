// Dispatcher holds one TokenDispatcher per HubSpot token in use, made on first
// use and forgotten once the token has been idle for two intervals (so memory
// stays flat however many tokens callers pass through).
// Thread-safe. Lock order: mu_, then a TokenDispatcher's (For() makes one,
// and its budget, under mu_; the idle sweep asks each whether it can be
// forgotten). Its one callback, ArchiveObserver::OnTokenForgotten, runs under
// mu_ on the thread calling For(); the TokenDispatchers' run as
// token_dispatcher.h says.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_DISPATCHER_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_DISPATCHER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/synchronization/mutex.h"
#include "server/dispatch/token_dispatcher.h"

namespace hubspot_gateway {

class Dispatcher {
 public:
  // The references must outlive the dispatcher; `random` is used under a lock.
  // Without `budgets`, each token has a local TokenBudget (options.budget).
  Dispatcher(DispatchOptions options, HttpTransport& transport, Scheduler& scheduler,
             ArchiveObserver& observer, absl::BitGenRef random, BudgetFactory budgets = nullptr);

  const DispatchOptions& options() const { return options_; }

  // The dispatcher of `token`.
  std::shared_ptr<TokenDispatcher> For(const std::string& token);

  // Tokens whose state is kept now.
  size_t tokens();

 private:
  // Drops the dispatchers nobody uses that have been idle for two intervals;
  // runs at most once a second.
  void ForgetIdle(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const DispatchOptions options_;
  const BudgetFactory budgets_;
  Scheduler& scheduler_;
  // Guards the generator in deps_ (DispatchDeps::random).
  absl::Mutex random_mu_;
  const DispatchDeps deps_;

  absl::Mutex mu_;
  // Keyed by the token itself: each dispatcher sends with its token.
  absl::flat_hash_map<std::string, std::shared_ptr<TokenDispatcher>> by_token_ ABSL_GUARDED_BY(mu_);
  absl::Time next_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_DISPATCH_DISPATCHER_H_
