#include <set>

#include <gtest/gtest.h>

#include "protocol/encoding.h"

using namespace xz::protocol;

namespace {
std::string unhex(std::string_view h) { return hex_decode(h).value(); }
}  // namespace

// RFC 4648 §10 test vectors.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded).value(), plain);
  }
}

TEST(Base64, RoundTripsEveryByteValueAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += char(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    const std::string s = all.substr(0, n);
    EXPECT_EQ(base64_decode(base64_encode(s)).value(), s);
    EXPECT_EQ(base64url_decode(base64url_encode(s, false)).value(), s);
    EXPECT_EQ(base64url_decode(base64url_encode(s, true)).value(), s);
  }
}

TEST(Base64, UrlAlphabetAndPadding) {
  const std::string bytes = unhex("fbff");  // "+/8" in the standard alphabet
  EXPECT_EQ(base64_encode(bytes), "+/8=");
  EXPECT_EQ(base64url_encode(bytes, true), "-_8=");
  EXPECT_EQ(base64url_encode(bytes, false), "-_8");
  EXPECT_EQ(base64url_decode("-_8").value(), bytes);
  EXPECT_EQ(base64url_decode("-_8=").value(), bytes);
  EXPECT_EQ(base64_decode("+/8").value(), bytes);  // unpadded standard is accepted too
}

TEST(Base64, RejectsInvalidText) {
  EXPECT_FALSE(base64_decode("Zm9v!"));     // not in the alphabet
  EXPECT_FALSE(base64_decode("-_8="));      // URL alphabet in standard decoding
  EXPECT_FALSE(base64url_decode("+/8="));   // standard alphabet in URL decoding
  EXPECT_FALSE(base64_decode("Z"));         // impossible length
  EXPECT_FALSE(base64_decode("Zm9vY"));     // impossible length
  EXPECT_FALSE(base64_decode("Zg="));       // wrong padding
  EXPECT_FALSE(base64_decode("Zm8=="));     // too much padding
  EXPECT_FALSE(base64_decode("Zg==Zg=="));  // padding in the middle
  EXPECT_FALSE(base64_decode("===="));
  EXPECT_FALSE(base64_decode("Zm 9v"));     // whitespace
}

TEST(Hex, EncodesLowerCaseDecodesBothCases) {
  EXPECT_EQ(hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(hex_decode("0001ABff").value(), std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(hex_decode("").value(), "");
  EXPECT_FALSE(hex_decode("abc"));   // odd length
  EXPECT_FALSE(hex_decode("zz"));    // not hex
  EXPECT_FALSE(hex_decode("0x12"));
}

// FIPS 180-2 and RFC 4231 known answers.
TEST(Digest, Sha256AndHmacKnownAnswers) {
  EXPECT_EQ(hex_encode(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_encode(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 6: a key longer than the block size.
  EXPECT_EQ(hex_encode(hmac_sha256(std::string(131, '\xaa'),
                                   "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hmac_sha256("", "x").size(), 32u);
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

TEST(Random, BytesHaveTheRequestedSizeAndDiffer) {
  EXPECT_EQ(random_bytes(0), "");
  const auto a = random_bytes(32);
  const auto b = random_bytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(Random, AlnumUsesOnlyLettersAndDigitsAndCoversThem) {
  std::set<char> seen;
  for (int i = 0; i < 50; ++i) {
    const auto s = random_alnum(40);
    ASSERT_EQ(s.size(), 40u);
    for (char c : s) {
      ASSERT_TRUE((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) << c;
      seen.insert(c);
    }
  }
  // 2000 draws over 62 symbols: every symbol shows up unless the sampling is broken.
  EXPECT_EQ(seen.size(), 62u);
  EXPECT_NE(random_alnum(16), random_alnum(16));
}
