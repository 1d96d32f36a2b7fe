#include <stdexcept>

#include <gtest/gtest.h>

#include "protocol/encoding.h"
#include "protocol/vision_token.h"

using namespace xz::protocol;

namespace {
// From ../shared/spec/test-vectors.json "vision_token" (reference server 0.9.6,
// auth_key "xiaozhi-test-key-0123456789"). Decoding the vector shows IV 00 01 .. 0b,
// PyJWT's compact header/payload and a padded base64url "data" field.
constexpr std::string_view kAuthKey = "xiaozhi-test-key-0123456789";
constexpr std::string_view kAesKeyHex = "a39c30ed906e0d164307eee79d59539b80c13ff8380cb6678753c4a5aa3171f5";
constexpr std::string_view kDevice = "aa:bb:cc:dd:ee:ff";
constexpr double kExp = 4102444800.0;
constexpr std::string_view kToken =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJkYXRhIjoiQUFFQ0F3UUZCZ2NJQ1FvTHZ0dGNPdFBoQkllSGdLUWM2VVd4dUw5TkxJQy1yVy01WG1wZlJYcnFwR3h5MUpaVnlnWVJhVnV2NDlpZW5rWHV2cTRNRmR5cVBlbW5KX1JyVmxKWE1FTGl2TnhQWGNrPSJ9.x6y8cfydw07mbS5lUFNu-mqY4GJkmi38979C5KFg1QA";
constexpr std::string_view kExpiredToken =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJkYXRhIjoiQUFFQ0F3UUZCZ2NJQ1FvTHZ0dGNPdFBoQkllSGdLUWM2VVd4dUw5TkxJQy1yVy01WG1wZlJYcnFwR3h5MUpaVnlnWVJhVnV2NXRtZW5FSHF1cVlNRmR5cVBVQXA5LTdGeDRpUDBuY3dpamdPTG5RPSJ9.bCbWgzqojGUMpj8GmjmFOWX6FrZjkkkD__LKrPnKTbc";
// The expired token's inner exp (decrypted from the vector).
constexpr double kExpiredExp = 1000000000.0;
constexpr double kNow = 1767225600.0;

std::string vector_iv() {
  std::string iv;
  for (int i = 0; i < 12; ++i) iv += char(i);
  return iv;
}

// PBKDF2 with 100 000 iterations is slow: derive once for the whole suite.
const VisionTokenCodec& codec() {
  static const VisionTokenCodec c{std::string(kAuthKey)};
  return c;
}
}  // namespace

TEST(VisionToken, DerivesTheReferenceAesKey) { EXPECT_EQ(hex_encode(codec().aes_key()), kAesKeyHex); }

TEST(VisionToken, ReproducesTheVectorTokensByteForByte) {
  EXPECT_EQ(codec().make_with_iv(kDevice, kExp, vector_iv()), kToken);
  EXPECT_EQ(codec().make_with_iv(kDevice, kExpiredExp, vector_iv()), kExpiredToken);
}

TEST(VisionToken, VerifiesVectorVerdicts) {
  EXPECT_EQ(codec().verify(kToken, kNow).value_or("<none>"), "aa:bb:cc:dd:ee:ff");
  EXPECT_FALSE(codec().verify(kExpiredToken, kNow));
  // The expired token is authentic: it verifies at a time before its exp.
  EXPECT_EQ(codec().verify(kExpiredToken, kExpiredExp - 1).value_or(""), kDevice);
  EXPECT_TRUE(codec().verify(kExpiredToken, kExpiredExp));  // exp == now is still valid
}

// Expected tokens below were computed with the reference's algorithm (Python json.dumps,
// cryptography AES-GCM, HS256) for the given IVs.
TEST(VisionToken, EncodesLikePythonJsonDumps) {
  std::string iv;
  for (int i = 100; i < 112; ++i) iv += char(i);
  const std::string device = "\xe8\xae\xbe\xe5\xa4\x87\"\\\x01\x7f\xf0\x9f\x98\x80";  // 设备"\<01><7f>😀
  EXPECT_EQ(codec().make_with_iv(device, 1767229200.123456, iv),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJkYXRhIjoiWkdWbVoyaHBhbXRzYlc1dnc4ZGxqWlY0cXMzZnVjemxZcDJYLUFPSms3bndGY1hFd0lsZjVVaFVHcTdKaW1sdmMzX3pObEllc2lneGxPTmlwOG02VWNUYng2SzhsblN2N0lvR0xRTFNHY0xUSkRiVWVlTGh6bm5SZWtDVGRPR1piOTd6QnJVZDRPbmZNTHlsdzV2WSJ9.LflzpjGXJTp-2eW8tf91dKzkUGsaBOBNsUqwCn0uok0");
  EXPECT_EQ(codec().verify(codec().make_with_iv(device, 1767229200.123456, iv), kNow).value_or(""), device);
}

TEST(VisionToken, RandomIvTokensDifferAndVerify) {
  const auto a = codec().make("11:22:33:44:55:66", kNow + 3600);
  const auto b = codec().make("11:22:33:44:55:66", kNow + 3600);
  EXPECT_NE(a, b);
  EXPECT_EQ(codec().verify(a, kNow).value_or(""), "11:22:33:44:55:66");
  EXPECT_FALSE(codec().verify(a, kNow + 3601));
}

TEST(VisionToken, RejectsTokensFromAnotherKey) {
  const VisionTokenCodec other("another-auth-key");
  EXPECT_FALSE(other.verify(kToken, kNow));
  EXPECT_FALSE(codec().verify(other.make(kDevice, kNow + 60), kNow));
}

TEST(VisionToken, RejectsTamperedAndMalformedTokens) {
  const std::string token(kToken);
  const auto dot1 = token.find('.');
  const auto dot2 = token.rfind('.');
  // A flipped character in each of header, payload and signature.
  for (std::size_t at : {std::size_t(5), dot1 + 20, dot2 + 5}) {
    std::string bad = token;
    bad[at] = bad[at] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(codec().verify(bad, kNow)) << at;
  }
  EXPECT_FALSE(codec().verify("", kNow));
  EXPECT_FALSE(codec().verify("abc", kNow));
  EXPECT_FALSE(codec().verify("a.b", kNow));
  EXPECT_FALSE(codec().verify(token + ".extra", kNow));
  EXPECT_FALSE(codec().verify(token.substr(0, dot2 + 1), kNow));  // empty signature
  EXPECT_FALSE(codec().verify(token.substr(0, dot2) + ".!!!!", kNow));
}

TEST(VisionToken, RejectsAuthenticJwtsWithBadContent) {
  // Correctly signed JWTs whose payload is wrong in some way: the signature alone must not
  // be enough.
  const std::string key(kAuthKey);
  const auto jwt = [&](std::string_view header, std::string_view payload) {
    const std::string si = base64url_encode(header, false) + "." + base64url_encode(payload, false);
    return si + "." + base64url_encode(hmac_sha256(key, si), false);
  };
  const std::string hs256 = R"({"alg":"HS256","typ":"JWT"})";
  EXPECT_FALSE(codec().verify(jwt(hs256, R"({"nodata":1})"), kNow));
  EXPECT_FALSE(codec().verify(jwt(hs256, R"({"data":123})"), kNow));
  EXPECT_FALSE(codec().verify(jwt(hs256, R"({"data":"not base64 !"})"), kNow));
  EXPECT_FALSE(codec().verify(jwt(hs256, R"({"data":"AAECAwQ="})"), kNow));  // too short for iv+tag
  EXPECT_FALSE(codec().verify(jwt(hs256, "not json"), kNow));
  EXPECT_FALSE(codec().verify(jwt(R"({"alg":"none"})", R"({"data":""})"), kNow));

  // Authentic inner data, but an outer exp that has passed (PyJWT would refuse it).
  const std::string good(kToken);
  const auto dot1 = good.find('.');
  const auto dot2 = good.rfind('.');
  const auto payload = base64url_decode(good.substr(dot1 + 1, dot2 - dot1 - 1)).value();
  std::string with_exp = payload;
  with_exp.insert(with_exp.size() - 1, ",\"exp\":1000");
  EXPECT_FALSE(codec().verify(jwt(hs256, with_exp), kNow));
  EXPECT_EQ(codec().verify(jwt(hs256, payload), kNow).value_or(""), kDevice);  // re-signed as is: fine
}

TEST(VisionToken, BadArgumentsThrow) {
  EXPECT_THROW(codec().make_with_iv(kDevice, kExp, "short"), std::invalid_argument);
  EXPECT_THROW(codec().make(kDevice, std::numeric_limits<double>::infinity()), std::invalid_argument);
}
