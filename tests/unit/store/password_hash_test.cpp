#include <set>

#include <gtest/gtest.h>

#include "protocol/encoding.h"
#include "store/password_hash.h"

using namespace xz::store;

namespace {

// Cheap parameters for the round trips; the known answers use the RFC's own.
constexpr ScryptParams kFast{10, 8, 1};

std::string hex_scrypt(std::string_view password, std::string_view salt, ScryptParams p) {
  return xz::protocol::hex_encode(scrypt(password, salt, p, 64));
}

}  // namespace

// RFC 7914 §12, the first three vectors (the fourth needs 1 GiB).
TEST(PasswordHash, ScryptMatchesRfc7914Vectors) {
  EXPECT_EQ(hex_scrypt("", "", {4, 1, 1}),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
  EXPECT_EQ(hex_scrypt("password", "NaCl", {10, 8, 16}),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
  EXPECT_EQ(hex_scrypt("pleaseletmein", "SodiumChloride", {14, 8, 1}),
            "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
            "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887");
}

TEST(PasswordHash, EncodedHashDescribesItselfAndVerifies) {
  const std::string h = hash_password("correct horse", kFast);
  EXPECT_EQ(h.rfind("$scrypt$ln=10,r=8,p=1$", 0), 0u) << h;
  EXPECT_TRUE(verify_password("correct horse", h));
  EXPECT_FALSE(verify_password("correct horsf", h));
  EXPECT_FALSE(verify_password("", h));
  auto p = encoded_params(h);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->log_n, 10);
  EXPECT_EQ(p->r, 8);
  EXPECT_EQ(p->p, 1);
}

TEST(PasswordHash, TheDefaultCostIsTheOneTheBriefAsksFor) {
  const std::string h = hash_password("correct horse");
  EXPECT_EQ(h.rfind("$scrypt$ln=15,r=8,p=1$", 0), 0u) << h;
  EXPECT_TRUE(verify_password("correct horse", h));
}

TEST(PasswordHash, EverySaltIsFresh) {
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i) seen.insert(hash_password("same password", {4, 1, 1}));
  EXPECT_EQ(seen.size(), 8u);
}

TEST(PasswordHash, MalformedOrCostlyHashesNeverVerify) {
  const std::string good = hash_password("pw", kFast);
  const std::string salt_and_hash = good.substr(good.find('$', 8));
  for (std::string bad : {std::string(), std::string("pw"), std::string("$scrypt$"),
                          "$argon2id$ln=10,r=8,p=1" + salt_and_hash, "$scrypt$ln=10,r=8" + salt_and_hash,
                          "$scrypt$r=8,ln=10,p=1" + salt_and_hash, "$scrypt$ln=10,r=8,p=1,x=1" + salt_and_hash,
                          "$scrypt$ln=-1,r=8,p=1" + salt_and_hash, "$scrypt$ln=21,r=8,p=1" + salt_and_hash,
                          // 128 * 32 * 2^20 * 16 bytes: far over the 1 GiB bound, refused before hashing
                          "$scrypt$ln=20,r=32,p=16" + salt_and_hash, good + "$", good + "=", good.substr(0, good.size() - 4),
                          "$scrypt$ln=10,r=8,p=1$$" + good.substr(good.rfind('$') + 1)}) {
    EXPECT_FALSE(verify_password("pw", bad)) << bad;
  }
  EXPECT_THROW(scrypt("pw", "salt", {21, 8, 1}, 32), std::invalid_argument);
}
