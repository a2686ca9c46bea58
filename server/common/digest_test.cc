#include "server/common/digest.h"

#include "gtest/gtest.h"

namespace hubspot_gateway {
namespace {

TEST(DigestTest, KnownDigests) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(DigestTest, FingerprintIsTheDigestsFirstEightHexDigits) {
  EXPECT_EQ(Fingerprint("abc"), "ba7816bf");
  EXPECT_NE(Fingerprint("pat-na1-a"), Fingerprint("pat-na1-b"));
}

TEST(DigestTest, PiecesDigestLikeTheWhole) {
  Sha256 digest;
  digest.Update("a");
  digest.Update("");
  digest.Update("bc");
  EXPECT_EQ(digest.HexDigest(), Sha256Hex("abc"));
  EXPECT_EQ(digest.HexDigest(), Sha256Hex(""));  // It starts over.
}

}  // namespace
}  // namespace hubspot_gateway
