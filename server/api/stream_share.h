// StreamShare caps the bulk streams one caller holds open, so that a single
// caller (one address, however many connections it opens) cannot take every
// call slot of the gateway with streams it never uses. Thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_SHARE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_SHARE_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace hubspot_gateway {

// The caller a gRPC peer string names: its address without the port
// ("ipv4:10.0.0.7:5123" -> "ipv4:10.0.0.7", "ipv6:[::1]:80" -> "ipv6:[::1]").
std::string CallerOfPeer(absl::string_view peer);

class StreamShare {
 public:
  // One open stream of a caller; gives its place back when destroyed.
  class Slot {
   public:
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&&) = delete;
    ~Slot();

   private:
    friend class StreamShare;
    Slot(StreamShare* share, std::string caller) : share_(share), caller_(std::move(caller)) {}

    StreamShare* share_;
    std::string caller_;
  };

  explicit StreamShare(int max_streams_per_caller)
      : max_streams_per_caller_(max_streams_per_caller) {}

  // A slot for one more stream of `caller`; RESOURCE_EXHAUSTED when it holds
  // max_streams_per_caller already.
  absl::StatusOr<Slot> Acquire(absl::string_view caller);

  // Streams `caller` holds open now.
  int open_streams(absl::string_view caller) const;

 private:
  void Release(const std::string& caller);

  const int max_streams_per_caller_;
  mutable absl::Mutex mu_;
  // Only callers with a stream open have an entry.
  absl::flat_hash_map<std::string, int> open_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_STREAM_SHARE_H_
