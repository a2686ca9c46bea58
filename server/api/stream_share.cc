#include "server/api/stream_share.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace hubspot_gateway {

std::string CallerOfPeer(absl::string_view peer) {
  const size_t colon = peer.rfind(':');
  if (colon == absl::string_view::npos || colon + 1 == peer.size()) return std::string(peer);
  const absl::string_view port = peer.substr(colon + 1);
  for (char c : port) {
    if (!absl::ascii_isdigit(c)) return std::string(peer);  // "unix:/path" has no port.
  }
  const absl::string_view address = peer.substr(0, colon);
  // "ipv4:1.2.3.4" alone has no port either: keep a scheme-only prefix whole.
  if (address.find(':') == absl::string_view::npos) return std::string(peer);
  return std::string(address);
}

StreamShare::Slot::Slot(Slot&& other) noexcept
    : share_(std::exchange(other.share_, nullptr)), caller_(std::move(other.caller_)) {}

StreamShare::Slot::~Slot() {
  if (share_ != nullptr) share_->Release(caller_);
}

absl::StatusOr<StreamShare::Slot> StreamShare::Acquire(absl::string_view caller) {
  {
    absl::MutexLock lock(&mu_);
    int& open = open_[caller];
    if (open >= max_streams_per_caller_) {
      if (open == 0) open_.erase(caller);
      return absl::ResourceExhaustedError(
          absl::StrCat("this caller has ", max_streams_per_caller_,
                       " streams open already (--max_streams_per_caller); finish one, or send more "
                       "requests on a stream it has"));
    }
    ++open;
  }
  return Slot(this, std::string(caller));
}

int StreamShare::open_streams(absl::string_view caller) const {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(caller);
  return it == open_.end() ? 0 : it->second;
}

void StreamShare::Release(const std::string& caller) {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(caller);
  if (it == open_.end()) return;
  if (--it->second == 0) open_.erase(it);
}

}  // namespace hubspot_gateway
