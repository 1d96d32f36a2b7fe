#include <stdexcept>

#include <gtest/gtest.h>

#include "protocol/cipher.h"
#include "protocol/encoding.h"

using namespace xz::protocol;

namespace {
std::string unhex(std::string_view h) { return hex_decode(h).value(); }
}  // namespace

// NIST SP 800-38A F.5.1 (CTR-AES128.Encrypt), first two blocks.
TEST(AesCtr, NistVector) {
  const auto key = unhex("2b7e151628aed2a6abf7158809cf4f3c");
  const auto iv = unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const auto plain = unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
  const auto cipher = aes_128_ctr(key, iv, plain);
  EXPECT_EQ(hex_encode(cipher), "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff");
  EXPECT_EQ(aes_128_ctr(key, iv, cipher), plain);  // CTR is its own inverse
  EXPECT_EQ(aes_128_ctr(key, iv, ""), "");
}

TEST(AesCtr, CounterCarriesAcrossAll128Bits) {
  // Encrypting two blocks from IV ff..ff must equal block 1 from ff..ff then block 2 from 00..00.
  const auto key = unhex("000102030405060708090a0b0c0d0e0f");
  const std::string zeros(32, '\0');
  const auto both = aes_128_ctr(key, std::string(16, '\xff'), zeros);
  EXPECT_EQ(both.substr(16), aes_128_ctr(key, std::string(16, '\0'), zeros.substr(16)));
}

TEST(AesCtr, WrongSizesThrow) {
  EXPECT_THROW(aes_128_ctr("short", std::string(16, 'x'), "data"), std::invalid_argument);
  EXPECT_THROW(aes_128_ctr(std::string(16, 'k'), "short", "data"), std::invalid_argument);
}

// NIST GCM spec test cases 13 and 14 (AES-256, zero key and IV).
TEST(AesGcm, NistVectors) {
  const std::string key(32, '\0');
  const std::string iv(12, '\0');
  EXPECT_EQ(hex_encode(aes_256_gcm_seal(key, iv, "")), "530f8afbc74536b9a963b4f1c4cb738b");
  EXPECT_EQ(hex_encode(aes_256_gcm_seal(key, iv, std::string(16, '\0'))),
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  EXPECT_EQ(aes_256_gcm_open(key, iv, unhex("530f8afbc74536b9a963b4f1c4cb738b")).value(), "");
}

TEST(AesGcm, TamperingIsDetected) {
  const std::string key(32, 'k');
  const std::string iv(12, 'i');
  auto sealed = aes_256_gcm_seal(key, iv, "hello vision");
  EXPECT_EQ(aes_256_gcm_open(key, iv, sealed).value(), "hello vision");
  for (std::size_t i : {std::size_t(0), sealed.size() - 1}) {  // ciphertext byte, tag byte
    auto bad = sealed;
    bad[i] = char(bad[i] ^ 1);
    EXPECT_FALSE(aes_256_gcm_open(key, iv, bad)) << i;
  }
  EXPECT_FALSE(aes_256_gcm_open(key, std::string(12, 'j'), sealed));
  EXPECT_FALSE(aes_256_gcm_open(std::string(32, 'x'), iv, sealed));
  EXPECT_FALSE(aes_256_gcm_open(key, iv, sealed.substr(0, 10)));  // shorter than a tag
  EXPECT_THROW(aes_256_gcm_seal("short", iv, "x"), std::invalid_argument);
  EXPECT_THROW(aes_256_gcm_open(key, "short", sealed), std::invalid_argument);
}

// RFC 7914 §11 PBKDF2-HMAC-SHA256 vector, and the reference's vision key
// (test-vectors.json vision_token.aes_key_hex for auth_key "xiaozhi-test-key-0123456789").
TEST(Pbkdf2, KnownAnswers) {
  EXPECT_EQ(hex_encode(pbkdf2_hmac_sha256("passwd", "salt", 1, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  EXPECT_EQ(hex_encode(pbkdf2_hmac_sha256("xiaozhi-test-key-0123456789", "fixed_salt_placeholder", 100000, 32)),
            "a39c30ed906e0d164307eee79d59539b80c13ff8380cb6678753c4a5aa3171f5");
  EXPECT_THROW(pbkdf2_hmac_sha256("p", "s", 0, 32), std::invalid_argument);
  EXPECT_THROW(pbkdf2_hmac_sha256("p", "s", 1, 0), std::invalid_argument);
}
