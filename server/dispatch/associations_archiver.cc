#include "server/dispatch/associations_archiver.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "server/hubspot/archive_response.h"
#include "server/hubspot/batch_merge.h"
#include "server/hubspot/chunking.h"
#include "server/hubspot/hubspot_json.h"
#include "server/hubspot/request_validation.h"
#include "server/hubspot/upstream_error_status.h"

namespace hubspot_gateway {

namespace v1 = ::hubspot::crm::associations::v1;

// The state of one call: its chunks, which are in flight, and the merge.
class ArchiveCall : public std::enable_shared_from_this<ArchiveCall> {
 public:
  ArchiveCall(AssociationsArchiver& archiver, const v1::ArchiveAssociationsRequest& request,
              std::string token, absl::Time deadline, AssociationsArchiver::Done done)
      : archiver_(archiver),
        url_(archiver.options_.endpoint.ArchiveUrl(request.from_object_type(),
                                         request.to_object_type())),
        token_(std::move(token)),
        authorization_(absl::StrCat("Bearer ", token_)),
        deadline_(deadline),
        chunks_(SplitIntoChunks(request, archiver.options_.max_inputs_per_request)),
        done_(std::move(done)) {
    bodies_.reserve(chunks_.size());
    for (const Chunk& chunk : chunks_) bodies_.push_back(EncodeArchiveBody(chunk));
  }

  // Sends the first chunks; each finished chunk starts the next.
  void LaunchChunks() {
    while (true) {
      size_t chunk = 0;
      {
        absl::MutexLock lock(&mu_);
        if (next_chunk_ == chunks_.size() ||
            in_flight_ == archiver_.options_.max_concurrent_requests_per_call) {
          return;
        }
        chunk = next_chunk_++;
        ++in_flight_;
      }
      SendAttempt(chunk, 1);
    }
  }

 private:
  // Waits (on the scheduler) for a slot in the token's rate budget, then sends.
  void SendAttempt(size_t chunk, int attempt) {
    const absl::Time now = archiver_.scheduler_.Now();
    const absl::optional<absl::Time> slot = archiver_.limiter_.Reserve(token_, now, deadline_);
    if (!slot.has_value()) {
      FinishChunkPastDeadline(chunk, attempt - 1);
      return;
    }
    if (*slot > now) {
      archiver_.observer_.OnRateLimitWait(*slot - now);
      archiver_.scheduler_.RunAfter(*slot - now, [self = shared_from_this(), chunk, attempt] {
        self->Transmit(chunk, attempt);
      });
      return;
    }
    Transmit(chunk, attempt);
  }

  void Transmit(size_t chunk, int attempt) {
    const absl::Time now = archiver_.scheduler_.Now();
    if (now >= deadline_) {
      FinishChunkPastDeadline(chunk, attempt - 1);
      return;
    }
    HttpRequest request;
    request.url = url_;
    request.headers = {{"Authorization", authorization_},
                       {"Content-Type", "application/json"},
                       {"Accept", "application/json"}};
    request.body = bodies_[chunk];
    request.timeout = std::min(deadline_ - now, archiver_.options_.upstream_timeout);
    {
      absl::MutexLock lock(&mu_);
      ++summary_.requests;
    }
    archiver_.transport_.Send(
        std::move(request),
        [self = shared_from_this(), chunk, attempt, now](absl::StatusOr<HttpResponse> exchange) {
          self->OnAttemptDone(chunk, attempt, now, exchange);
        });
  }

  void OnAttemptDone(size_t chunk, int attempt, absl::Time sent,
                     const absl::StatusOr<HttpResponse>& exchange) {
    const absl::Time received = archiver_.scheduler_.Now();
    if (exchange.ok()) archiver_.limiter_.Observe(token_, *exchange, received);
    absl::StatusOr<v1::BatchResult> outcome =
        InterpretArchiveExchange(exchange, sent, received);
    RecordAnswer(exchange, outcome);
    if (outcome.ok()) {
      FinishChunk(chunk, std::move(outcome));
      return;
    }
    // Retrying the same POST is safe: archiving is idempotent (HubSpot
    // treats removing an absent association as a no-op), so an attempt that
    // did reach HubSpot before failing cannot make a retry wrong.
    const ArchiverOptions& options = archiver_.options_;
    if (attempt < options.retry.max_attempts && options.retry.IsTransient(outcome.status())) {
      const auto upstream = GetUpstreamError(outcome.status());
      const absl::Duration retry_after =
          upstream.has_value() && upstream->has_retry_after()
              ? absl::Nanoseconds(google::protobuf::util::TimeUtil::DurationToNanoseconds(
                    upstream->retry_after()))
              : absl::ZeroDuration();
      const absl::Duration delay = archiver_.RetryDelay(attempt, retry_after);
      if (received + delay < deadline_) {
        {
          absl::MutexLock lock(&mu_);
          ++summary_.retries;
        }
        archiver_.observer_.OnRetry();
        archiver_.scheduler_.RunAfter(delay, [self = shared_from_this(), chunk, attempt] {
          self->SendAttempt(chunk, attempt + 1);
        });
        return;
      }
    }
    FinishChunk(chunk, WithAttempts(outcome.status(), attempt));
  }

  void RecordAnswer(const absl::StatusOr<HttpResponse>& exchange,
                    const absl::StatusOr<v1::BatchResult>& outcome) {
    const auto upstream = GetUpstreamError(outcome.status());
    archiver_.observer_.OnUpstreamAnswer(exchange.ok() ? exchange->status_code : 0,
                                         upstream.has_value() ? upstream->policy_name() : "");
    if (!exchange.ok()) return;
    std::string correlation_id;
    if (const auto header = exchange->Header("x-hubspot-correlation-id"); header.has_value()) {
      correlation_id = std::string(*header);
    } else if (upstream.has_value()) {
      correlation_id = upstream->correlation_id();
    }
    absl::MutexLock lock(&mu_);
    summary_.last_http_status = exchange->status_code;
    summary_.last_correlation_id = std::move(correlation_id);
  }

  void FinishChunk(size_t chunk, absl::StatusOr<v1::BatchResult> outcome) {
    bool call_finished = false;
    absl::StatusOr<v1::BatchResult> result;
    UpstreamSummary summary;
    {
      absl::MutexLock lock(&mu_);
      if (outcome.ok()) {
        merger_.AddSucceeded(*std::move(outcome));
      } else {
        merger_.AddFailed(chunks_[chunk], outcome.status());
      }
      --in_flight_;
      call_finished = ++finished_chunks_ == chunks_.size();
      if (call_finished) {
        result = std::move(merger_).Finish();
        summary = summary_;
      }
    }
    if (!call_finished) {
      LaunchChunks();
      return;
    }
    std::move(done_)(std::move(result), summary);
  }

  void FinishChunkPastDeadline(size_t chunk, int attempts_made) {
    v1::UpstreamError error;
    error.set_message(
        "the call's deadline expired before HubSpot answered (or before the rate budget "
        "had room)");
    FinishChunk(chunk, WithAttempts(UpstreamErrorStatus(absl::StatusCode::kDeadlineExceeded,
                                                        error),
                                    attempts_made));
  }

  AssociationsArchiver& archiver_;
  const std::string url_;
  const std::string token_;
  const std::string authorization_;
  const absl::Time deadline_;
  const std::vector<Chunk> chunks_;
  std::vector<std::string> bodies_;
  AssociationsArchiver::Done done_;

  absl::Mutex mu_;
  size_t next_chunk_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  size_t finished_chunks_ ABSL_GUARDED_BY(mu_) = 0;
  BatchMerger merger_ ABSL_GUARDED_BY(mu_);
  UpstreamSummary summary_ ABSL_GUARDED_BY(mu_);
};

AssociationsArchiver::AssociationsArchiver(ArchiverOptions options,
                                           HttpTransport& transport, Scheduler& scheduler,
                                           RateLimiter& limiter, ArchiveObserver& observer,
                                           absl::BitGenRef random)
    : options_(std::move(options)),
      transport_(transport),
      scheduler_(scheduler),
      limiter_(limiter),
      observer_(observer),
      random_(random) {}

void AssociationsArchiver::Archive(const v1::ArchiveAssociationsRequest& request,
                                   std::string token, absl::Time deadline, Done done) {
  if (absl::Status valid = ValidateArchiveRequest(request); !valid.ok()) {
    std::move(done)(valid, UpstreamSummary{});
    return;
  }
  std::make_shared<ArchiveCall>(*this, request, std::move(token), deadline, std::move(done))
      ->LaunchChunks();
}

absl::Duration AssociationsArchiver::RetryDelay(int retry, absl::Duration retry_after) {
  absl::MutexLock lock(&random_mu_);
  return options_.backoff.DelayBefore(retry, retry_after, random_);
}

}  // namespace hubspot_gateway
