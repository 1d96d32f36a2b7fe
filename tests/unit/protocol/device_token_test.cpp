#include <gtest/gtest.h>

#include "protocol/device_token.h"

using namespace xz::protocol;

namespace {
// From ../shared/spec/test-vectors.json "device_token", produced by the reference server
// (xiaozhi-esp32-server 0.9.6) with auth_key "xiaozhi-test-key-0123456789".
constexpr std::string_view kKey = "xiaozhi-test-key-0123456789";
constexpr std::string_view kClient = "5c1a1c2e-8a8f-4d57-9e8b-2f9f0c0f3a11";
constexpr std::string_view kDevice = "aa:bb:cc:dd:ee:ff";
constexpr std::int64_t kTs = 1767225600;
constexpr std::string_view kToken = "cZ6cCQ_9-5Z9SroPnIG3uk_677rR3NYtPYbgz-MAVyk.1767225600";
constexpr std::int64_t kExpire = 2592000;
}  // namespace

TEST(DeviceToken, ReproducesTheReferenceToken) {
  EXPECT_EQ(make_device_token(kKey, kClient, kDevice, kTs), kToken);
}

TEST(DeviceToken, ReferenceVerdicts) {
  // valid_one_hour_later: true
  EXPECT_EQ(verify_device_token(kKey, kToken, kClient, kDevice, kTs + 3600, kExpire), TokenCheck::ok);
  // valid_after_expiry: false
  EXPECT_EQ(verify_device_token(kKey, kToken, kClient, kDevice, kTs + kExpire + 1, kExpire),
            TokenCheck::expired);
  // valid_with_other_device: false
  EXPECT_EQ(verify_device_token(kKey, kToken, kClient, "11:22:33:44:55:66", kTs + 3600, kExpire),
            TokenCheck::bad_signature);
}

TEST(DeviceToken, ExpiryBoundaryAndDefaultLifetime) {
  EXPECT_EQ(verify_device_token(kKey, kToken, kClient, kDevice, kTs + kExpire, kExpire), TokenCheck::ok);
  EXPECT_EQ(verify_device_token(kKey, kToken, kClient, kDevice, kTs + 100, 60), TokenCheck::expired);
  // <= 0 means the reference's default of 30 days.
  EXPECT_EQ(verify_device_token(kKey, kToken, kClient, kDevice, kTs + kDefaultDeviceTokenLifetime, 0),
            TokenCheck::ok);
  EXPECT_EQ(verify_device_token(kKey, kToken, kClient, kDevice, kTs + kDefaultDeviceTokenLifetime + 1, -5),
            TokenCheck::expired);
}

TEST(DeviceToken, RejectsOtherClientKeyOrTamperedTimestamp) {
  const auto now = kTs + 10;
  EXPECT_EQ(verify_device_token(kKey, kToken, "other-client", kDevice, now, kExpire), TokenCheck::bad_signature);
  EXPECT_EQ(verify_device_token("other-key", kToken, kClient, kDevice, now, kExpire), TokenCheck::bad_signature);
  // Moving the timestamp forward to extend the lifetime breaks the signature.
  const std::string moved = std::string(kToken.substr(0, kToken.find('.'))) + ".1767225601";
  EXPECT_EQ(verify_device_token(kKey, moved, kClient, kDevice, now, kExpire), TokenCheck::bad_signature);
  std::string flipped(kToken);
  flipped[3] = flipped[3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_device_token(kKey, flipped, kClient, kDevice, now, kExpire), TokenCheck::bad_signature);
}

TEST(DeviceToken, MalformedTokens) {
  const auto check = [](std::string_view token) {
    return verify_device_token(kKey, token, kClient, kDevice, kTs, kExpire);
  };
  EXPECT_EQ(check(""), TokenCheck::malformed);
  EXPECT_EQ(check("no-dot-at-all"), TokenCheck::malformed);
  EXPECT_EQ(check(".1767225600"), TokenCheck::malformed);
  EXPECT_EQ(check("abc."), TokenCheck::malformed);
  EXPECT_EQ(check("abc.12x4"), TokenCheck::malformed);
  EXPECT_EQ(check("abc.-5"), TokenCheck::malformed);
  EXPECT_EQ(check("abc.1.2"), TokenCheck::malformed);
  EXPECT_EQ(check("abc.0123"), TokenCheck::malformed);
  EXPECT_EQ(check("abc.99999999999999999999999"), TokenCheck::malformed);
  EXPECT_EQ(to_string(TokenCheck::bad_signature), "bad signature");
}

TEST(DeviceToken, MadeTokensVerify) {
  const auto token = make_device_token("k", "c", "d", 42);
  EXPECT_EQ(token.substr(token.size() - 3), ".42");
  EXPECT_EQ(token.find('='), std::string::npos);  // unpadded base64url
  EXPECT_EQ(verify_device_token("k", token, "c", "d", 42, 1), TokenCheck::ok);
}
