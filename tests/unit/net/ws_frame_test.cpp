// The frame codec against the examples of RFC 6455 section 5.7, byte for byte.
#include "net/ws_frame.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

using namespace xz::net::ws;

namespace {

std::vector<std::uint8_t> bytes(std::initializer_list<int> b) {
  std::vector<std::uint8_t> v;
  for (int x : b) v.push_back(static_cast<std::uint8_t>(x));
  return v;
}

std::vector<std::uint8_t> encoded(const EncodedHeader& h) { return {h.view().begin(), h.view().end()}; }

}  // namespace

TEST(WsFrame, ParsesTheRfcUnmaskedTextFrame) {
  auto frame = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  auto p = parse_frame_header(frame);
  ASSERT_EQ(p.status, ParseStatus::ok);
  EXPECT_TRUE(p.header.fin);
  EXPECT_EQ(p.header.opcode, Opcode::text);
  EXPECT_FALSE(p.header.masked);
  EXPECT_EQ(p.header.payload_bytes, 5u);
  EXPECT_EQ(p.header.header_bytes, 2u);
}

TEST(WsFrame, UnmasksTheRfcMaskedTextFrameWholeOrInPieces) {
  auto frame = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  auto p = parse_frame_header(frame);
  ASSERT_EQ(p.status, ParseStatus::ok);
  ASSERT_TRUE(p.header.masked);
  ASSERT_EQ(p.header.header_bytes, 6u);
  std::string payload(frame.begin() + 6, frame.end());
  std::string whole = payload;
  apply_mask(whole, p.header.mask, 0);
  EXPECT_EQ(whole, "Hello");
  // As if it arrived in two reads: the second piece starts at payload offset 3.
  std::string first = payload.substr(0, 3), second = payload.substr(3);
  apply_mask(first, p.header.mask, 0);
  apply_mask(second, p.header.mask, 3);
  EXPECT_EQ(first + second, "Hello");
}

TEST(WsFrame, ParsesTheRfcFragmentsAndPing) {
  auto first = parse_frame_header(bytes({0x01, 0x03, 0x48, 0x65, 0x6c}));
  ASSERT_EQ(first.status, ParseStatus::ok);
  EXPECT_FALSE(first.header.fin);
  EXPECT_EQ(first.header.opcode, Opcode::text);
  auto last = parse_frame_header(bytes({0x80, 0x02, 0x6c, 0x6f}));
  ASSERT_EQ(last.status, ParseStatus::ok);
  EXPECT_TRUE(last.header.fin);
  EXPECT_EQ(last.header.opcode, Opcode::continuation);
  auto ping = parse_frame_header(bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  ASSERT_EQ(ping.status, ParseStatus::ok);
  EXPECT_EQ(ping.header.opcode, Opcode::ping);
  EXPECT_TRUE(is_control(ping.header.opcode));
}

TEST(WsFrame, EncodesTheRfcHeadersForEachLengthForm) {
  EXPECT_EQ(encoded(encode_frame_header(Opcode::text, true, 5)), bytes({0x81, 0x05}));
  EXPECT_EQ(encoded(encode_frame_header(Opcode::text, false, 3)), bytes({0x01, 0x03}));
  EXPECT_EQ(encoded(encode_frame_header(Opcode::binary, true, 256)), bytes({0x82, 0x7E, 0x01, 0x00}));
  EXPECT_EQ(encoded(encode_frame_header(Opcode::binary, true, 65536)),
            bytes({0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}));
  MaskKey key{0x37, 0xfa, 0x21, 0x3d};
  EXPECT_EQ(encoded(encode_frame_header(Opcode::text, true, 5, &key)), bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d}));
}

TEST(WsFrame, EncodedHeadersParseBackAtTheLengthBoundaries) {
  const MaskKey key{1, 2, 3, 4};
  for (std::uint64_t n : {0ull, 125ull, 126ull, 65535ull, 65536ull, (1ull << 40)}) {
    for (const MaskKey* mask : {static_cast<const MaskKey*>(nullptr), &key}) {
      auto h = encode_frame_header(Opcode::binary, true, n, mask);
      auto p = parse_frame_header(h.view());
      ASSERT_EQ(p.status, ParseStatus::ok) << n;
      EXPECT_EQ(p.header.payload_bytes, n);
      EXPECT_EQ(p.header.header_bytes, h.size);
      EXPECT_EQ(p.header.masked, mask != nullptr);
      if (mask) {
        EXPECT_EQ(p.header.mask, key);
      }
    }
  }
}

TEST(WsFrame, EveryShorterPrefixOfAHeaderIsIncomplete) {
  MaskKey key{9, 8, 7, 6};
  auto h = encode_frame_header(Opcode::binary, true, 70000, &key);
  ASSERT_EQ(h.size, 14);
  for (std::size_t n = 0; n < h.size; ++n)
    EXPECT_EQ(parse_frame_header(h.view().subspan(0, n)).status, ParseStatus::incomplete) << n;
}

TEST(WsFrame, RejectsWhatTheRfcForbids) {
  auto invalid = [](std::vector<std::uint8_t> b) { return parse_frame_header(b).status == ParseStatus::invalid; };
  EXPECT_TRUE(invalid(bytes({0xC1, 0x00})));  // RSV1 without an extension
  EXPECT_TRUE(invalid(bytes({0x83, 0x00})));  // reserved data opcode
  EXPECT_TRUE(invalid(bytes({0x8B, 0x00})));  // reserved control opcode
  EXPECT_TRUE(invalid(bytes({0x09, 0x00})));  // fragmented ping
  EXPECT_TRUE(invalid(bytes({0x89, 0x7E, 0x00, 0x7E})));  // 126-byte ping
  EXPECT_TRUE(invalid(bytes({0x82, 0x7E, 0x00, 0x05})));  // 5 in the 16-bit form
  EXPECT_TRUE(invalid(bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF})));  // 65535 in the 64-bit form
  EXPECT_TRUE(invalid(bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0})));    // the 64th bit
  EXPECT_FALSE(invalid(bytes({0x88, 0x02, 0x03, 0xE8})));                  // a close with a code
  EXPECT_NE(parse_frame_header(bytes({0xC1, 0x00})).error, "");
}

TEST(WsFrame, CloseCodesAPeerMaySend) {
  for (std::uint16_t ok : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999})
    EXPECT_TRUE(is_valid_close_code(ok)) << ok;
  for (std::uint16_t bad : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000})
    EXPECT_FALSE(is_valid_close_code(bad)) << bad;
}
