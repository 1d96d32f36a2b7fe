#include <stdexcept>

#include <gtest/gtest.h>

#include "protocol/encoding.h"
#include "protocol/udp_packet.h"

using namespace xz::protocol;

namespace {
std::string unhex(std::string_view h) { return hex_decode(h).value(); }

// From ../shared/spec/test-vectors.json "udp_packet".
const std::string kKey = unhex("00112233445566778899aabbccddeeff");
const std::string kNonce = unhex("010000000000002a0000000000000000");
const std::string kOpus = unhex("78010203040506070809");
constexpr std::string_view kDatagramHex = "0100000a0000002a0000000000000001b5d595df996d9613c3f1";
}  // namespace

TEST(UdpPacket, HeaderFromNonceReadsEveryField) {
  const auto h = header_from_nonce(kNonce);
  EXPECT_EQ(h.type, 1);
  EXPECT_EQ(h.flags, 0);
  EXPECT_EQ(h.payload_len, 0);
  EXPECT_EQ(h.ssrc, 42u);
  EXPECT_EQ(h.timestamp, 0u);
  EXPECT_EQ(h.sequence, 0u);
  const auto g = header_from_nonce(unhex("01020304050607080900aabbccddeeff"));
  EXPECT_EQ(g.flags, 2);
  EXPECT_EQ(g.payload_len, 0x0304);
  EXPECT_EQ(g.ssrc, 0x05060708u);
  EXPECT_EQ(g.timestamp, 0x0900aabbu);
  EXPECT_EQ(g.sequence, 0xccddeeffu);
  EXPECT_EQ(encode_udp_header(g), unhex("01020304050607080900aabbccddeeff"));
  EXPECT_THROW(header_from_nonce("short"), std::invalid_argument);
}

TEST(UdpPacket, ReproducesTheVectorDatagram) {
  UdpHeader h = header_from_nonce(kNonce);
  h.sequence = 1;
  h.timestamp = 0;
  EXPECT_EQ(hex_encode(encrypt_udp_packet(kKey, h, kOpus)), kDatagramHex);
}

TEST(UdpPacket, DecryptsTheVectorDatagram) {
  std::string error;
  const auto p = decrypt_udp_packet(kKey, unhex(kDatagramHex), &error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->opus, kOpus);
  EXPECT_EQ(p->header.sequence, 1u);
  EXPECT_EQ(p->header.ssrc, 42u);
  EXPECT_EQ(p->header.payload_len, kOpus.size());
}

TEST(UdpPacket, PayloadLengthComesFromTheOpusSize) {
  UdpHeader h;
  h.payload_len = 999;  // ignored
  h.sequence = 7;
  h.timestamp = 123456;
  const std::string opus(300, '\x42');
  const auto d = encrypt_udp_packet(kKey, h, opus);
  ASSERT_EQ(d.size(), 316u);
  EXPECT_NE(d.substr(16), opus);  // really encrypted
  const auto p = decrypt_udp_packet(kKey, d, nullptr);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->header.payload_len, 300);
  EXPECT_EQ(p->header.timestamp, 123456u);
  EXPECT_EQ(p->opus, opus);
  // Another sequence number is another counter block: different ciphertext.
  h.sequence = 8;
  EXPECT_NE(encrypt_udp_packet(kKey, h, opus).substr(16), d.substr(16));
  EXPECT_THROW(encrypt_udp_packet(kKey, h, std::string(70000, 'x')), std::invalid_argument);
  EXPECT_THROW(encrypt_udp_packet("short", h, opus), std::invalid_argument);
}

TEST(UdpPacket, RejectsMalformedDatagrams) {
  const std::string good = unhex(kDatagramHex);
  std::string error;
  EXPECT_FALSE(decrypt_udp_packet(kKey, good.substr(0, 15), &error));
  EXPECT_NE(error.find("shorter than the 16-byte header"), std::string::npos) << error;

  std::string wrong_type = good;
  wrong_type[0] = 2;
  EXPECT_FALSE(decrypt_udp_packet(kKey, wrong_type, &error));
  EXPECT_NE(error.find("type 2"), std::string::npos) << error;

  EXPECT_FALSE(decrypt_udp_packet(kKey, good + "x", &error));  // payload_len 10, 11 bytes follow
  EXPECT_NE(error.find("payload_len 10"), std::string::npos) << error;
  EXPECT_FALSE(decrypt_udp_packet(kKey, good.substr(0, good.size() - 1), &error));

  EXPECT_FALSE(decrypt_udp_packet("short", good, &error));
  EXPECT_FALSE(decrypt_udp_packet(kKey, "", nullptr));  // null error pointer is fine

  // A wrong key still "decrypts" (CTR has no authentication) but gives other bytes.
  const auto p = decrypt_udp_packet(std::string(16, '\0'), good, nullptr);
  ASSERT_TRUE(p);
  EXPECT_NE(p->opus, kOpus);
}

TEST(UdpPacket, EmptyOpusIsAHeaderOnlyDatagram) {
  const auto d = encrypt_udp_packet(kKey, UdpHeader{}, "");
  EXPECT_EQ(d.size(), 16u);
  const auto p = decrypt_udp_packet(kKey, d, nullptr);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->opus, "");
}
