// protocol::make_udp_channel_keys / udp_nonce: the gateway's nonce layout, random keys
// and ssrcs, and the per-endpoint uniqueness the caller's in_use asks for.
#include <set>
#include <stdexcept>

#include <gtest/gtest.h>

#include "protocol/encoding.h"
#include "protocol/udp_channel_keys.h"
#include "protocol/udp_packet.h"

using namespace xz::protocol;

TEST(UdpChannelKeys, NonceHasTheGatewayLayout) {
  EXPECT_EQ(hex_encode(udp_nonce(42)), "010000000000002a0000000000000000");  // test-vectors.json
  EXPECT_EQ(hex_encode(udp_nonce(0xDEADBEEF)), "01000000deadbeef0000000000000000");
  const auto h = header_from_nonce(udp_nonce(0x01020304));
  EXPECT_EQ(h.type, 1);
  EXPECT_EQ(h.ssrc, 0x01020304u);
  EXPECT_EQ(h.sequence, 0u);
}

TEST(UdpChannelKeys, KeysAndSsrcsAreRandom) {
  std::set<std::uint32_t> ssrcs;
  std::set<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    const auto k = make_udp_channel_keys([](std::uint32_t) { return false; });
    ASSERT_EQ(k.key.size(), 16u);
    ASSERT_EQ(k.nonce, udp_nonce(k.ssrc));
    EXPECT_NE(k.ssrc, 0u);
    ssrcs.insert(k.ssrc);
    keys.insert(k.key);
  }
  // A counter would give 1..200; random ones almost never collide in 2^32 and spread
  // over the whole range.
  EXPECT_GE(ssrcs.size(), 199u);
  EXPECT_EQ(keys.size(), 200u);
  EXPECT_GT(*ssrcs.rbegin(), 0x10000000u);
}

TEST(UdpChannelKeys, SkipsSsrcsInUse) {
  std::set<std::uint32_t> taken;
  for (int i = 0; i < 100; ++i) {
    int asked = 0;
    const auto k = make_udp_channel_keys([&](std::uint32_t s) {
      ++asked;
      return asked == 1 || taken.count(s) > 0;  // the first draw is always "taken"
    });
    EXPECT_GE(asked, 2);
    EXPECT_TRUE(taken.insert(k.ssrc).second);
  }
  EXPECT_THROW(make_udp_channel_keys([](std::uint32_t) { return true; }), std::runtime_error);
}
