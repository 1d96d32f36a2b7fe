#include <stdexcept>

#include <gtest/gtest.h>

#include "protocol/audio_framing.h"
#include "protocol/encoding.h"

using namespace xz::protocol;

namespace {
std::string unhex(std::string_view h) { return hex_decode(h).value(); }
const std::string kOpus = unhex("58c0ffee01");
}  // namespace

TEST(AudioFraming, VersionSelectsFraming) {
  EXPECT_EQ(framing_for_version(1), Framing::v1);
  EXPECT_EQ(framing_for_version(2), Framing::v2);
  EXPECT_EQ(framing_for_version(3), Framing::v3);
  EXPECT_EQ(framing_for_version(0), Framing::v1);
  EXPECT_EQ(framing_for_version(7), Framing::v1);
  EXPECT_EQ(framing_for_version(-2), Framing::v1);
  EXPECT_EQ(to_string(Framing::mqtt_gateway), "mqtt_gateway");
}

// Byte layouts from device-protocol.md §3.4 and reference-server.md §2.6, big-endian.
TEST(AudioFraming, EncodesTheDocumentedLayouts) {
  EXPECT_EQ(encode_audio_frame(Framing::v1, kOpus, 99, 5), kOpus);
  EXPECT_EQ(hex_encode(encode_audio_frame(Framing::v2, kOpus, 0x01020304)),
            "0002" "0000" "00000000" "01020304" "00000005" "58c0ffee01");
  EXPECT_EQ(hex_encode(encode_audio_frame(Framing::v3, kOpus)), "00" "00" "0005" "58c0ffee01");
  EXPECT_EQ(hex_encode(encode_audio_frame(Framing::mqtt_gateway, kOpus, 0xa0b0c0d0, 0x11223344)),
            "01" "00" "0005" "11223344" "a0b0c0d0" "00000005" "58c0ffee01");
}

TEST(AudioFraming, RoundTripsEveryFraming) {
  for (Framing f : {Framing::v1, Framing::v2, Framing::v3, Framing::mqtt_gateway}) {
    for (const std::string& opus : {kOpus, std::string(), std::string(1275, '\x7a')}) {
      const auto frame = encode_audio_frame(f, opus, 777, 3);
      std::string error;
      const auto p = decode_audio_frame(f, frame, &error);
      ASSERT_TRUE(p) << to_string(f) << ": " << error;
      EXPECT_EQ(p->opus, opus) << to_string(f);
      const bool has_timestamp = f == Framing::v2 || f == Framing::mqtt_gateway;
      EXPECT_EQ(p->timestamp, has_timestamp ? 777u : 0u) << to_string(f);
    }
  }
}

TEST(AudioFraming, DecodedOpusIsAViewIntoTheFrame) {
  const auto frame = encode_audio_frame(Framing::v3, kOpus);
  const auto p = decode_audio_frame(Framing::v3, frame, nullptr);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->opus.data(), frame.data() + 4);
}

TEST(AudioFraming, DeviceV2FramesIgnoreVersionAndType) {
  // The firmware ignores both fields; so do we.
  const auto frame = unhex("0009" "0001" "deadbeef" "00000010" "00000002" "abcd");
  const auto p = decode_audio_frame(Framing::v2, frame, nullptr);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->opus, unhex("abcd"));
  EXPECT_EQ(p->timestamp, 16u);
}

TEST(AudioFraming, V2Errors) {
  std::string error;
  EXPECT_FALSE(decode_audio_frame(Framing::v2, unhex("0002000000000000000000"), &error));
  EXPECT_EQ(error, "v2 frame: 11 bytes, shorter than the 16-byte header");
  EXPECT_FALSE(decode_audio_frame(Framing::v2, unhex("00020000000000000000000000000009abcd"), &error));
  EXPECT_EQ(error, "v2 frame: payload_size 9 exceeds the 2 bytes after the header");
  EXPECT_FALSE(decode_audio_frame(Framing::v2, unhex("00020000000000000000000000000001abcd"), &error));
  EXPECT_EQ(error, "v2 frame: 1 trailing bytes after payload_size 1");
  EXPECT_FALSE(decode_audio_frame(Framing::v2, unhex("000200000000000000000000ffffffffab"), &error));
}

TEST(AudioFraming, V3Errors) {
  std::string error;
  EXPECT_FALSE(decode_audio_frame(Framing::v3, unhex("000000"), &error));
  EXPECT_EQ(error, "v3 frame: 3 bytes, shorter than the 4-byte header");
  EXPECT_FALSE(decode_audio_frame(Framing::v3, unhex("00000003abcd"), &error));
  EXPECT_EQ(error, "v3 frame: payload_size 3 exceeds the 2 bytes after the header");
  EXPECT_FALSE(decode_audio_frame(Framing::v3, unhex("00000001abcd"), &error));
  EXPECT_FALSE(decode_audio_frame(Framing::v3, "", nullptr));
}

TEST(AudioFraming, GatewayErrorsAndLooseness) {
  std::string error;
  EXPECT_FALSE(decode_audio_frame(Framing::mqtt_gateway, std::string(15, '\0'), &error));
  EXPECT_EQ(error, "mqtt_gateway frame: 15 bytes, shorter than the 16-byte header");
  // Like the reference, only the timestamp and the bytes after the header matter.
  const auto frame = unhex("ffffffffffffffff" "00000064" "00000000" "0102");
  const auto p = decode_audio_frame(Framing::mqtt_gateway, frame, nullptr);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->timestamp, 100u);
  EXPECT_EQ(p->opus, unhex("0102"));
}

TEST(AudioFraming, V1AcceptsAnyFrameIncludingEmpty) {
  const auto p = decode_audio_frame(Framing::v1, "", nullptr);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->opus.empty());
}

TEST(AudioFraming, OversizedPayloadsThrowForSixteenBitFormats) {
  const std::string big(70000, 'x');
  EXPECT_THROW(encode_audio_frame(Framing::v3, big), std::invalid_argument);
  EXPECT_THROW(encode_audio_frame(Framing::mqtt_gateway, big), std::invalid_argument);
  EXPECT_EQ(encode_audio_frame(Framing::v2, big).size(), 70016u);
}
