// UnlabeledTypeCache tells the labels guard which association types of an
// object pair are unlabeled (server/labels/unlabeled_types.h), per token and
// (from type, to type): read from HubSpot through an AssociationLabelsReader
// once, then kept for `ttl`. Lookups of a pair while it is being read share
// that one read. When the read is not possible (an error, a 429 after
// retries, no room in the rate budget or no answer within `read_timeout`)
// the lookup answers "unknown", so the guard fails open; the failure is kept
// for `failure_ttl` (at most `ttl`), so calls do not each spend a request on
// a read that keeps failing, and one log line says so (at most one per
// `log_interval`, counting those left out; it never names the token). Kept
// answers are keyed by the token's SHA-256, never the token, and forgotten
// by a sweep once past their time.
//
//   cache.Lookup(who, "contacts", "companies",
//                [](std::shared_ptr<const UnlabeledTypes> types) { ... });
//
// Thread-safety: every method may be called from any thread. mu_ is never
// held while the reader, the log function or a `done` runs. `done` runs on
// Lookup's thread for a kept answer, else on the thread the reader answers on.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_UNLABELED_TYPE_CACHE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_UNLABELED_TYPE_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/clock/scheduler.h"
#include "server/labels/association_labels_reader.h"
#include "server/labels/unlabeled_types.h"

namespace hubspot_gateway {

struct UnlabeledTypeCacheOptions {
  // How long a pair's types, once read, are trusted (--association_labels_ttl).
  absl::Duration ttl = absl::Minutes(10);
  // How long a read may take, waiting for the budget included.
  absl::Duration read_timeout = absl::Seconds(10);
  // How long a failed read is remembered (capped at `ttl`).
  absl::Duration failure_ttl = absl::Minutes(1);
  // At most one failed-read log line per this long.
  absl::Duration log_interval = absl::Minutes(1);
};

class UnlabeledTypeCache {
 public:
  // The pair's unlabeled types; null when they are unknown (the read failed).
  using Done = absl::AnyInvocable<void(std::shared_ptr<const UnlabeledTypes> types) &&>;
  using LogFn = absl::AnyInvocable<void(absl::string_view line)>;

  // `reader` and `scheduler` must outlive the cache, and the cache every read
  // it started.
  UnlabeledTypeCache(UnlabeledTypeCacheOptions options, AssociationLabelsReader& reader,
                     Scheduler& scheduler, LogFn log);

  const UnlabeledTypeCacheOptions& options() const { return options_; }

  // Answers with the kept types of `who.token`'s pair, or reads them (paid
  // by `who`) and answers when the read ends. `done` runs exactly once,
  // possibly before Lookup returns.
  void Lookup(const LabelsReadFor& who, absl::string_view from_object_type,
              absl::string_view to_object_type, Done done);

 private:
  struct Entry {
    // Null: unknown (the last read failed).
    std::shared_ptr<const UnlabeledTypes> types;
    absl::Time expires = absl::InfinitePast();
    bool reading = false;
    // Lookups waiting for the read.
    std::vector<Done> waiting;
  };

  void OnRead(const std::string& key, absl::string_view from_object_type,
              absl::string_view to_object_type, absl::StatusOr<UnlabeledTypes> read);
  // The log line for a failed read, or "" when one was logged too recently.
  std::string FailureLine(absl::string_view from_object_type, absl::string_view to_object_type,
                          const absl::Status& why, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops what is past its time (no read running); at most once per ttl.
  void Sweep(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const UnlabeledTypeCacheOptions options_;
  AssociationLabelsReader& reader_;
  Scheduler& scheduler_;
  LogFn log_;

  absl::Mutex mu_;
  // Keyed by SHA-256(token), from type and to type.
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::Time next_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time next_log_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Failed reads not logged since the last line.
  int64_t unlogged_failures_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_LABELS_UNLABELED_TYPE_CACHE_H_
