#include "server/common/digest.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"

namespace hubspot_gateway {
namespace {

std::string Digest(absl::string_view text, const EVP_MD* type) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, type, nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace

std::string Sha256Hex(absl::string_view text) { return Digest(text, EVP_sha256()); }

std::string Fingerprint(absl::string_view secret) { return Sha256Hex(secret).substr(0, 8); }

std::string Sha1Hex(absl::string_view text) { return Digest(text, EVP_sha1()); }

void Sha256::Free::operator()(evp_md_ctx_st* context) const { EVP_MD_CTX_free(context); }

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr);
}

Sha256::~Sha256() = default;

void Sha256::Update(absl::string_view text) {
  EVP_DigestUpdate(context_.get(), text.data(), text.size());
}

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_.get(), digest, &length);
  EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace hubspot_gateway
