#include "server/labels/unlabeled_type_cache.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/digest.h"

namespace hubspot_gateway {
namespace {

// How much of a failed read's status message a log line quotes.
constexpr size_t kMaxQuotedMessage = 200;

std::string Key(absl::string_view token, absl::string_view from_object_type,
                absl::string_view to_object_type) {
  // Object types never hold '/' (request validation), so the key is unambiguous.
  return absl::StrCat(Sha256Hex(token), "/", from_object_type, "/", to_object_type);
}

}  // namespace

UnlabeledTypeCache::UnlabeledTypeCache(UnlabeledTypeCacheOptions options,
                                       AssociationLabelsReader& reader, Scheduler& scheduler,
                                       LogFn log)
    : options_(options), reader_(reader), scheduler_(scheduler), log_(std::move(log)) {}

void UnlabeledTypeCache::Lookup(const LabelsReadFor& who, absl::string_view from_object_type,
                                absl::string_view to_object_type, Done done) {
  std::string key = Key(who.token, from_object_type, to_object_type);
  const absl::Time now = scheduler_.Now();
  bool read = false;
  std::shared_ptr<const UnlabeledTypes> kept;
  {
    absl::MutexLock lock(&mu_);
    Sweep(now);
    Entry& entry = entries_[key];
    if (entry.reading) {
      entry.waiting.push_back(std::move(done));
      return;
    }
    read = now >= entry.expires;
    if (read) {
      entry.reading = true;
      entry.waiting.push_back(std::move(done));
    } else {
      kept = entry.types;
    }
  }
  if (!read) {
    std::move(done)(std::move(kept));
    return;
  }
  reader_.Read(who, from_object_type, to_object_type, now + options_.read_timeout,
               [this, key = std::move(key), from = std::string(from_object_type),
                to = std::string(to_object_type)](absl::StatusOr<UnlabeledTypes> read) mutable {
                 OnRead(key, from, to, std::move(read));
               });
}

void UnlabeledTypeCache::OnRead(const std::string& key, absl::string_view from_object_type,
                                absl::string_view to_object_type,
                                absl::StatusOr<UnlabeledTypes> read) {
  const absl::Time now = scheduler_.Now();
  std::shared_ptr<const UnlabeledTypes> types;
  std::vector<Done> waiting;
  std::string log_line;
  {
    absl::MutexLock lock(&mu_);
    // Never swept while reading.
    Entry& entry = entries_[key];
    entry.reading = false;
    if (read.ok()) {
      types = std::make_shared<const UnlabeledTypes>(*std::move(read));
      entry.expires = now + options_.ttl;
    } else {
      entry.expires = now + std::min(options_.failure_ttl, options_.ttl);
      log_line = FailureLine(from_object_type, to_object_type, read.status(), now);
    }
    entry.types = types;
    waiting.swap(entry.waiting);
  }
  if (!log_line.empty()) log_(log_line);
  for (Done& done : waiting) std::move(done)(types);
}

std::string UnlabeledTypeCache::FailureLine(absl::string_view from_object_type,
                                            absl::string_view to_object_type,
                                            const absl::Status& why, absl::Time now) {
  if (now < next_log_) {
    ++unlogged_failures_;
    return "";
  }
  next_log_ = now + options_.log_interval;
  std::string line = absl::StrCat(
      "labels guard: cannot read the association types of ", from_object_type, " to ",
      to_object_type, " (", absl::StatusCodeToString(why.code()), ": ",
      why.message().substr(0, kMaxQuotedMessage), "); for ",
      absl::FormatDuration(std::min(options_.failure_ttl, options_.ttl)),
      " its labels calls go unchecked: one listing the pair's unlabeled type removes whole "
      "associations");
  if (unlogged_failures_ > 0) {
    absl::StrAppend(&line, " (", unlogged_failures_, " more failed reads since the last line)");
    unlogged_failures_ = 0;
  }
  return line;
}

void UnlabeledTypeCache::Sweep(absl::Time now) {
  if (now < next_sweep_) return;
  next_sweep_ = now + options_.ttl;
  absl::erase_if(entries_, [now](const auto& entry) {
    return !entry.second.reading && entry.second.expires <= now;
  });
}

}  // namespace hubspot_gateway
