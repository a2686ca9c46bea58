#include "client/bulk_archive.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/bulk_journal.h"
#include "client/failed_file.h"
#include "server/common/digest.h"

namespace hubspot_gateway {
namespace {

namespace v1 = ::hubspot::crm::associations::v1;

// Progress on stderr: a redrawn bar on a terminal, a line a second otherwise.
class ProgressDisplay {
 public:
  explicit ProgressDisplay(int64_t total)
      : total_(total), terminal_(isatty(STDERR_FILENO)), start_(absl::Now()) {}

  void Update(int64_t done, int64_t failed, bool final) {
    const absl::Time now = absl::Now();
    if (!final && now - last_shown_ < (terminal_ ? absl::Milliseconds(100) : absl::Seconds(1))) {
      return;
    }
    last_shown_ = now;
    const double seconds = std::max(1e-3, absl::ToDoubleSeconds(now - start_));
    const double rate = done / seconds;
    std::string line = absl::StrFormat("%d/%s pairs done (%d failed), %.0f/s", done,
                                       total_ >= 0 ? absl::StrCat(total_) : "?", failed, rate);
    if (total_ > 0 && rate > 0 && !final) {
      absl::StrAppendFormat(&line, ", ETA %.0fs", (total_ - done) / rate);
    }
    if (terminal_) {
      constexpr int kWidth = 30;
      const int filled =
          total_ > 0 ? static_cast<int>(kWidth * done / std::max<int64_t>(1, total_)) : 0;
      std::fprintf(stderr, "\r[%s%s] %s\033[K%s", std::string(filled, '#').c_str(),
                   std::string(kWidth - std::min(filled, kWidth), '.').c_str(), line.c_str(),
                   final ? "\n" : "");
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }

 private:
  const int64_t total_;
  const bool terminal_;
  const absl::Time start_;
  absl::Time last_shown_ = absl::InfinitePast();
};

grpc::Status InvalidLine(const BulkOptions& options, int64_t number, const absl::Status& error) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat(options.input_path, " line ", number, ": ", error.message()));
}

// Checks every line of a file before anything is sent, counting its pairs
// and digesting its lines; for stdin (checked as it is read) the pairs are
// unknown (-1) and the digest is "stdin".
grpc::Status CheckInput(const BulkOptions& options, int64_t& pairs, std::string& sha256) {
  pairs = -1;
  sha256 = "stdin";
  if (options.input_path == "-") return grpc::Status::OK;
  std::ifstream file(options.input_path);
  if (!file) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("cannot read ", options.input_path));
  }
  pairs = 0;
  Sha256 digest;
  std::string line;
  for (int64_t number = 1; std::getline(file, line); ++number) {
    auto pair = ParsePairLine(line, options.format);
    if (!pair.ok()) return InvalidLine(options, number, pair.status());
    pairs += pair->has_value();
    digest.Update(line);
    digest.Update("\n");
  }
  sha256 = digest.HexDigest();
  return grpc::Status::OK;
}

// One request of the job: pairs [index * pairs_per_message, ...) of the input.
struct JobRequest {
  int64_t index = 0;
  std::vector<IdPair> pairs;
};

// The input, read as the job's requests.
class RequestSource {
 public:
  explicit RequestSource(const BulkOptions& options) : options_(options) {
    if (options.input_path != "-") {
      file_.open(options.input_path);
      in_ = &file_;
    }
  }

  // The next request; std::nullopt at the end; INVALID_ARGUMENT (once) for a
  // malformed line, after which the source is at its end. The pairs read
  // before a malformed line still come first, as a request of their own.
  absl::StatusOr<std::optional<JobRequest>> Next() {
    if (!malformed_.ok()) return std::exchange(malformed_, absl::OkStatus());
    JobRequest request;
    request.index = next_index_;
    std::string line;
    while (!ended_ && static_cast<int>(request.pairs.size()) < options_.pairs_per_message) {
      if (!std::getline(*in_, line)) {
        ended_ = true;
        break;
      }
      ++line_number_;
      absl::StatusOr<std::optional<IdPair>> pair = ParsePairLine(line, options_.format);
      if (!pair.ok()) {
        ended_ = true;
        malformed_ = absl::InvalidArgumentError(
            InvalidLine(options_, line_number_, pair.status()).error_message());
        break;
      }
      if (pair->has_value()) request.pairs.push_back(**std::move(pair));
    }
    if (request.pairs.empty()) {
      if (!malformed_.ok()) return std::exchange(malformed_, absl::OkStatus());
      return std::nullopt;
    }
    ++next_index_;
    return std::optional<JobRequest>(std::move(request));
  }

 private:
  const BulkOptions& options_;
  std::ifstream file_;
  std::istream* in_ = &std::cin;
  int64_t line_number_ = 0;
  int64_t next_index_ = 0;
  bool ended_ = false;
  // A malformed line met after pairs that have yet to be returned.
  absl::Status malformed_;
};

// The pairs of `request` that its acknowledged errors name as failed: those
// in an error's "inputs" ("from:to,to"), else those whose from id is in its
// "fromIds"; every pair when an error names no inputs or left some out.
std::vector<IdPair> FailedPairs(const JobRequest& request,
                                const std::vector<v1::StandardError>& errors) {
  if (errors.empty()) return {};
  absl::flat_hash_set<std::string> named;  // "from:to"
  absl::flat_hash_set<std::string> from_ids;
  bool all = false;
  for (const v1::StandardError& error : errors) {
    const auto& context = error.context();
    auto inputs = context.find("inputs");
    auto ids = context.find("fromIds");
    if (context.contains("omitted")) {
      all = true;
    } else if (inputs != context.end()) {
      for (const std::string& input : inputs->second.values()) {
        std::pair<std::string, std::string> sides = absl::StrSplit(input, absl::MaxSplits(':', 1));
        for (absl::string_view to : absl::StrSplit(sides.second, ',')) {
          named.insert(absl::StrCat(sides.first, ":", to));
        }
      }
    } else if (ids != context.end()) {
      from_ids.insert(ids->second.values().begin(), ids->second.values().end());
    } else {
      all = true;
    }
  }
  std::vector<IdPair> failed;
  for (const IdPair& pair : request.pairs) {
    if (all || from_ids.contains(pair.from) ||
        named.contains(absl::StrCat(pair.from, ":", pair.to))) {
      failed.push_back(pair);
    }
  }
  return failed;
}

using Stream = grpc::ClientReaderWriter<v1::ArchiveAssociationsRequest, v1::ArchiveProgress>;

// One bulk job across the streams it takes. The writer thread of each stream
// and the reading thread share it under mu_.
class BulkJob {
 public:
  BulkJob(const BulkOptions& options, std::optional<BulkJournal> journal,
          std::optional<FailedFile> failed_file, int64_t total_pairs)
      : options_(options),
        journal_(std::move(journal)),
        source_(options),
        failed_file_(std::move(failed_file)),
        display_(total_pairs) {}

  BulkOutcome Run(v1::AssociationsArchive::Stub& stub,
                  const std::function<bool(grpc::ClientContext&)>& prepare) {
    int in_a_row = 0;
    while (true) {
      grpc::ClientContext context;
      if (!prepare(context)) {
        outcome_.status = grpc::Status(grpc::StatusCode::CANCELLED, "no call metadata");
        break;
      }
      const bool acknowledged_any = RunStream(stub, context);
      absl::MutexLock lock(&mu_);
      if (acknowledged_any) in_a_row = 0;
      const bool finished = unacknowledged_.empty() && source_ended_;
      if (outcome_.status.ok() && !finished) {
        std::cerr << "\nthe gateway read " << requests_read_ << " of the " << requests_sent_
                  << " requests sent on the stream and ended it OK: the rest are unconfirmed\n";
      }
      const grpc::StatusCode code = outcome_.status.error_code();
      if (outcome_.status.ok() || !input_error_.ok() ||
          (code != grpc::StatusCode::UNAVAILABLE && code != grpc::StatusCode::CANCELLED) ||
          in_a_row >= options_.max_reconnects) {
        break;
      }
      const absl::Duration backoff = options_.initial_backoff * (1 << std::min(in_a_row, 5));
      ++in_a_row;
      ++outcome_.reconnects;
      std::cerr << "\nstream ended: code " << code << ": " << outcome_.status.error_message()
                << "; reconnecting in " << absl::FormatDuration(backoff) << " to resend "
                << unacknowledged_.size() << " unacknowledged requests\n";
      mu_.Unlock();
      absl::SleepFor(backoff);
      mu_.Lock();
    }
    absl::MutexLock lock(&mu_);
    GiveUp();
    if (!input_error_.ok()) {
      outcome_.status =
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(input_error_.message()));
    }
    display_.Update(outcome_.pairs_archived + outcome_.pairs_failed, outcome_.pairs_failed,
                    /*final=*/true);
    return outcome_;
  }

 private:
  // Runs one stream: resends what is unacknowledged, then the rest of the
  // input. Whether any request was acknowledged.
  bool RunStream(v1::AssociationsArchive::Stub& stub, grpc::ClientContext& context) {
    std::unique_ptr<Stream> stream = stub.ArchiveAssociationsStream(&context);
    {
      absl::MutexLock lock(&mu_);
      index_of_position_.clear();
      errors_.clear();
      requests_read_ = 0;
      requests_sent_ = 0;
      resend_.assign(unacknowledged_.size(), 0);
      int64_t i = 0;
      for (const auto& [index, request] : unacknowledged_) resend_[i++] = index;
    }
    // Writes block while the gateway is not reading (flow control): the file
    // is read only as fast as HubSpot's budget lets the gateway work.
    std::thread writer([&] { WriteRequests(*stream); });
    bool acknowledged_any = false;
    v1::ArchiveProgress progress;
    while (stream->Read(&progress)) acknowledged_any |= Take(progress);
    writer.join();
    const grpc::Status status = stream->Finish();
    absl::MutexLock lock(&mu_);
    outcome_.status = status;
    return acknowledged_any;
  }

  void WriteRequests(Stream& stream) {
    v1::ArchiveAssociationsRequest request;
    request.set_from_object_type(options_.from_object_type);
    request.set_to_object_type(options_.to_object_type);
    while (true) {
      request.clear_inputs();
      {
        absl::MutexLock lock(&mu_);
        const JobRequest* next = NextToSend();
        if (next == nullptr) break;
        for (const IdPair& pair : next->pairs) {
          auto* input = request.add_inputs();
          input->mutable_from_object()->set_id(pair.from);
          input->add_to_objects()->set_id(pair.to);
        }
        index_of_position_.push_back(next->index);
        ++requests_sent_;
      }
      if (!stream.Write(request)) return;  // The stream broke: Finish says why.
    }
    stream.WritesDone();
  }

  // The next request to send (kept in unacknowledged_ until acknowledged), or
  // nullptr when there is none.
  const JobRequest* NextToSend() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!resend_.empty()) {
      const int64_t index = resend_.front();
      resend_.pop_front();
      return &unacknowledged_.at(index);
    }
    while (!source_ended_) {
      absl::StatusOr<std::optional<JobRequest>> next = source_.Next();
      if (!next.ok()) {
        input_error_ = next.status();
        std::cerr << "\n" << input_error_.message() << ": sending no more\n";
      }
      if (!next.ok() || !next->has_value()) {
        source_ended_ = true;
        return nullptr;
      }
      JobRequest& request = **next;
      if (journal_.has_value()) {
        if (const std::vector<IdPair>* failed =
                journal_->Acknowledged(request.index, request.pairs)) {
          outcome_.pairs_skipped += request.pairs.size();
          outcome_.skipped_failed += failed->size();
          WriteFailed(*failed);
          continue;
        }
      }
      outcome_.pairs += request.pairs.size();
      const int64_t index = request.index;
      return &(unacknowledged_[index] = std::move(request));
    }
    return nullptr;
  }

  // Applies a progress message; whether it acknowledged anything.
  bool Take(const v1::ArchiveProgress& progress) {
    absl::MutexLock lock(&mu_);
    requests_read_ = progress.requests_read();
    for (int i = 0; i < progress.errors_size(); ++i) {
      const int64_t position =
          i < progress.error_positions_size() ? progress.error_positions(i) : -1;
      errors_[position].push_back(progress.errors(i));
    }
    for (int64_t position : progress.acknowledged()) {
      if (position < 0 || position >= static_cast<int64_t>(index_of_position_.size())) {
        std::cerr << "\nthe gateway acknowledged request " << position << ", never sent\n";
        continue;
      }
      auto request = unacknowledged_.find(index_of_position_[position]);
      if (request == unacknowledged_.end()) continue;  // Acknowledged twice.
      const std::vector<IdPair> failed = FailedPairs(request->second, errors_[position]);
      errors_.erase(position);
      outcome_.pairs_failed += failed.size();
      outcome_.pairs_archived += request->second.pairs.size() - failed.size();
      WriteFailed(failed);
      if (journal_.has_value()) {
        if (absl::Status recorded = journal_->Record(request->first, request->second.pairs, failed);
            !recorded.ok()) {
          std::cerr << "\n" << recorded.message() << "\n";
        }
      }
      unacknowledged_.erase(request);
    }
    display_.Update(outcome_.pairs_archived + outcome_.pairs_failed, outcome_.pairs_failed,
                    /*final=*/false);
    return !progress.acknowledged().empty();
  }

  // The end: whatever is not acknowledged, sent or not, is unconfirmed and
  // goes to the failed file.
  void GiveUp() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    resend_.clear();
    while (!source_ended_ && NextToSend() != nullptr) {
    }
    for (const auto& [index, request] : unacknowledged_) {
      outcome_.pairs_unconfirmed += request.pairs.size();
      WriteFailed(request.pairs);
    }
    unacknowledged_.clear();
    if (failed_file_.has_value()) outcome_.failed_file_status = failed_file_->Commit();
  }

  void WriteFailed(const std::vector<IdPair>& pairs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!failed_file_.has_value()) return;
    for (const IdPair& pair : pairs) failed_file_->WriteLine(FormatPairLine(pair, options_.format));
  }

  const BulkOptions& options_;
  absl::Mutex mu_;
  std::optional<BulkJournal> journal_ ABSL_GUARDED_BY(mu_);
  RequestSource source_ ABSL_GUARDED_BY(mu_);
  bool source_ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status input_error_ ABSL_GUARDED_BY(mu_);
  // Requests sent (or being sent) and not acknowledged, by index in the job.
  std::map<int64_t, JobRequest> unacknowledged_ ABSL_GUARDED_BY(mu_);
  // Of those, the ones the current stream sends first.
  std::deque<int64_t> resend_ ABSL_GUARDED_BY(mu_);
  // The current stream: each position's index in the job, the errors
  // received for requests not yet acknowledged, and what it read.
  std::vector<int64_t> index_of_position_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int64_t, std::vector<v1::StandardError>> errors_ ABSL_GUARDED_BY(mu_);
  int64_t requests_read_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t requests_sent_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<FailedFile> failed_file_ ABSL_GUARDED_BY(mu_);
  ProgressDisplay display_ ABSL_GUARDED_BY(mu_);
  BulkOutcome outcome_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

BulkOutcome RunBulkArchive(v1::AssociationsArchive::Stub& stub,
                           const std::function<bool(grpc::ClientContext&)>& prepare,
                           const BulkOptions& options) {
  BulkOutcome outcome;
  int64_t total_pairs = -1;
  JobIdentity identity;
  outcome.status = CheckInput(options, total_pairs, identity.input_sha256);
  if (!outcome.status.ok()) return outcome;
  std::optional<BulkJournal> journal;
  if (!options.journal_path.empty()) {
    identity.format = options.format;
    identity.pairs_per_message = options.pairs_per_message;
    identity.from_object_type = options.from_object_type;
    identity.to_object_type = options.to_object_type;
    absl::StatusOr<BulkJournal> opened = BulkJournal::Open(options.journal_path, identity);
    if (!opened.ok()) {
      outcome.status = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                    std::string(opened.status().message()));
      return outcome;
    }
    if (opened->damaged_count() > 0) {
      std::cerr << "--journal " << options.journal_path << ": " << opened->damaged_count()
                << " damaged or cut lines ignored: their requests are sent again\n";
    }
    journal.emplace(*std::move(opened));
  }
  // Opened before anything is sent: pairs that could be listed nowhere are
  // never put at risk.
  std::optional<FailedFile> failed_file;
  if (!options.failed_path.empty()) {
    absl::StatusOr<FailedFile> created = FailedFile::Create(options.failed_path);
    if (!created.ok()) {
      outcome.failed_file_status = created.status();
      return outcome;
    }
    failed_file.emplace(*std::move(created));
  }
  BulkJob job(options, std::move(journal), std::move(failed_file), total_pairs);
  return job.Run(stub, prepare);
}

}  // namespace hubspot_gateway
