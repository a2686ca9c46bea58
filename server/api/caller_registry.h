// CallerRegistry maps internal callers' API keys to the HubSpot token each
// one's calls use, so several teams or portals can share one gateway. Keys
// are stored and compared only as SHA-256 digests; neither keys nor tokens
// ever appear in messages. No caller may have an empty key: a file that
// registers the digest of "" (what hashing an unset variable gives) is
// refused. Immutable after loading: thread-safe.
//
// The --callers_file format (JSON):
//   {"callers": [
//     {"name": "billing", "api_key_sha256": "<64 hex digits>",
//      "hubspot_token_env": "BILLING_HUBSPOT_TOKEN",      // or "hubspot_token": "pat-..."
//      "policy": {...}},                                 // optional: server/flow/caller_policy.h
//     ...]}
// A key given twice in one object is refused (server/common/strict_json.h).
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALLER_REGISTRY_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALLER_REGISTRY_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/common/environment.h"
#include "server/flow/caller_policy.h"

namespace hubspot_gateway {

struct Caller {
  std::string name;
  std::string hubspot_token;  // A secret: never log it.
  // What it may do, and its weight or share; null without a "policy".
  std::shared_ptr<const CallerPolicy> policy;
};

class CallerRegistry {
 public:
  // Parses the file's text; INVALID_ARGUMENT names the entry at fault.
  static absl::StatusOr<CallerRegistry> Parse(absl::string_view json,
                                              EnvironmentLookup environment);

  // The caller whose key hashes to a registered digest; nullptr otherwise
  // (always for an empty key).
  const Caller* Find(absl::string_view api_key) const;

  size_t size() const { return by_digest_.size(); }
  // Whether the file itself holds a token ("hubspot_token"), so that it is a
  // secret to keep from other users.
  bool holds_tokens() const { return holds_tokens_; }

 private:
  absl::flat_hash_map<std::string, Caller> by_digest_;
  bool holds_tokens_ = false;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_API_CALLER_REGISTRY_H_
