// SHA-256 digests as lower-case hex: API keys stored only as digests, Redis
// keys naming a token without holding it, metric labels telling tokens apart
// (a fingerprint), and the bulk client's journal tying itself to one input. A Sha256 object is not
// thread-safe; Sha256Hex is.
//
//   Sha256 digest;
//   digest.Update("from,to\n");
//   const std::string hex = digest.HexDigest();
#ifndef HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_DIGEST_H_
#define HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_DIGEST_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

struct evp_md_ctx_st;

namespace hubspot_gateway {

// Lower-case hex SHA-256 of `text` (64 digits).
std::string Sha256Hex(absl::string_view text);

// The first 8 hex digits of Sha256Hex(`secret`): tells secrets apart in
// metrics and logs (an operator can compute it from a token they hold) while
// 32 bits say nothing usable about the secret.
std::string Fingerprint(absl::string_view secret);

// Lower-case hex SHA-1 of `text` (40 digits): what Redis names a script by.
std::string Sha1Hex(absl::string_view text);

// SHA-256 of text given in pieces.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view text);
  // The digest of everything given so far; the object then starts over.
  std::string HexDigest();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* context) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> context_;
};

}  // namespace hubspot_gateway

#endif  // HUBSPOT_ARCHIVE_GATEWAY_SERVER_COMMON_DIGEST_H_
