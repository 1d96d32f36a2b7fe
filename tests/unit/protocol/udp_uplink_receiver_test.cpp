// protocol::UdpUplinkReceiver: what one channel does with an uplink datagram, with plain
// ints as addresses. The endpoint test runs the same rules over real sockets.
#include <gtest/gtest.h>

#include "protocol/encoding.h"
#include "protocol/udp_channel_keys.h"
#include "protocol/udp_uplink_receiver.h"

using namespace xz::protocol;

namespace {

const std::string kKey = hex_decode("00112233445566778899aabbccddeeff").value();
const std::string kNonce = udp_nonce(42);
constexpr int kDevice = 1, kElsewhere = 2, kThird = 3;

std::string opus_60ms(char fill = 'o') {
  std::string p(30, fill);
  p[0] = char(11 << 3);  // SILK WB 60 ms, mono, one frame
  return p;
}

std::string datagram(std::uint32_t seq, const std::string& opus = opus_60ms(), const std::string& key = kKey) {
  UdpHeader h = header_from_nonce(kNonce);
  h.sequence = seq;
  h.timestamp = seq * 60;
  return encrypt_udp_packet(key, h, opus);
}

// A datagram under another key whose plaintext under kKey the Opus check refuses.
std::string forged(std::uint32_t seq) {
  for (unsigned char k = 0;; ++k) {
    std::string d = datagram(seq, opus_60ms(), std::string(16, char(k)));
    if (!plausible_uplink_opus(decrypt_udp_packet(kKey, d, nullptr)->opus, std::chrono::milliseconds(60))) return d;
  }
}

using Receiver = UdpUplinkReceiver<int>;

}  // namespace

TEST(UdpUplinkReceiver, FirstValidPacketSetsTheAddressAndIsDelivered) {
  Receiver rx(kKey, {});
  EXPECT_FALSE(rx.device());
  auto r = rx.receive(datagram(1), kDevice);
  ASSERT_EQ(r.outcome, UplinkOutcome::deliver);
  EXPECT_TRUE(r.address_moved);
  ASSERT_TRUE(r.packet);
  EXPECT_EQ(r.packet->opus, opus_60ms());
  EXPECT_EQ(r.packet->header.timestamp, 60u);
  EXPECT_EQ(rx.device(), kDevice);
  r = rx.receive(datagram(2), kDevice);
  EXPECT_EQ(r.outcome, UplinkOutcome::deliver);
  EXPECT_FALSE(r.address_moved);
}

TEST(UdpUplinkReceiver, ForgeryNeitherSetsTheAddressNorMovesTheWindow) {
  Receiver rx(kKey, {});
  EXPECT_EQ(rx.receive(forged(1), kElsewhere).outcome, UplinkOutcome::forged);
  EXPECT_FALSE(rx.device());  // a forger racing the device does not take the channel
  EXPECT_EQ(rx.receive(datagram(1), kDevice).outcome, UplinkOutcome::deliver);
  EXPECT_EQ(rx.receive(forged(1000), kDevice).outcome, UplinkOutcome::forged);
  EXPECT_EQ(rx.window().highest(), 1u);
  EXPECT_EQ(rx.receive(datagram(2), kDevice).outcome, UplinkOutcome::deliver);
}

TEST(UdpUplinkReceiver, SequenceRulesComeFromTheWindow) {
  Receiver rx(kKey, {.reorder_window = 8, .max_sequence_jump = 100});
  EXPECT_EQ(rx.receive(datagram(0), kDevice).outcome, UplinkOutcome::bad);
  EXPECT_EQ(rx.receive(datagram(1), kDevice).outcome, UplinkOutcome::deliver);
  EXPECT_EQ(rx.receive(datagram(1), kDevice).outcome, UplinkOutcome::replay);
  EXPECT_EQ(rx.receive(datagram(20), kDevice).outcome, UplinkOutcome::deliver);
  EXPECT_EQ(rx.receive(datagram(5), kDevice).outcome, UplinkOutcome::old);
  EXPECT_EQ(rx.receive(datagram(15), kDevice).outcome, UplinkOutcome::deliver);
  EXPECT_EQ(rx.receive(datagram(121), kDevice).outcome, UplinkOutcome::bad);  // jump > 100
  EXPECT_EQ(rx.receive(datagram(120), kDevice).outcome, UplinkOutcome::deliver);
}

TEST(UdpUplinkReceiver, MalformedDatagramsAreBad) {
  Receiver rx(kKey, {});
  EXPECT_EQ(rx.receive("", kDevice).outcome, UplinkOutcome::bad);
  EXPECT_EQ(rx.receive(datagram(1) + "x", kDevice).outcome, UplinkOutcome::bad);
  std::string wrong_type = datagram(1);
  wrong_type[0] = 2;
  EXPECT_EQ(rx.receive(wrong_type, kDevice).outcome, UplinkOutcome::bad);
  EXPECT_FALSE(rx.device());
  EXPECT_EQ(rx.receive(datagram(1), kDevice).outcome, UplinkOutcome::deliver);  // 1 still unused
}

TEST(UdpUplinkReceiver, AddressMovesAfterRebindAfterValidPacketsInARow) {
  // The bound: with rebind_after 3 the third packet from the new address moves it; with
  // 1 the first would.
  Receiver rx(kKey, {.rebind_after = 3});
  rx.receive(datagram(1), kDevice);
  EXPECT_EQ(rx.receive(datagram(2), kElsewhere).outcome, UplinkOutcome::unconfirmed);
  EXPECT_EQ(rx.receive(datagram(3), kElsewhere).outcome, UplinkOutcome::unconfirmed);
  EXPECT_EQ(rx.device(), kDevice);
  auto r = rx.receive(datagram(4), kElsewhere);
  EXPECT_EQ(r.outcome, UplinkOutcome::deliver);
  EXPECT_TRUE(r.address_moved);
  EXPECT_EQ(rx.device(), kElsewhere);
  EXPECT_EQ(rx.window().highest(), 4u);
  EXPECT_EQ(rx.window().accepted(), 2u);  // unconfirmed packets did not enter the window

  Receiver eager(kKey, {.rebind_after = 1});
  eager.receive(datagram(1), kDevice);
  EXPECT_EQ(eager.receive(datagram(2), kElsewhere).outcome, UplinkOutcome::deliver);
}

TEST(UdpUplinkReceiver, RebindCountRestartsOnTheDeviceOrAnotherAddressOrAStaleSequence) {
  Receiver rx(kKey, {.rebind_after = 2});
  rx.receive(datagram(1), kDevice);
  EXPECT_EQ(rx.receive(datagram(2), kElsewhere).outcome, UplinkOutcome::unconfirmed);
  EXPECT_EQ(rx.receive(datagram(3), kDevice).outcome, UplinkOutcome::deliver);  // resets
  EXPECT_EQ(rx.receive(datagram(4), kElsewhere).outcome, UplinkOutcome::unconfirmed);
  EXPECT_EQ(rx.receive(datagram(5), kThird).outcome, UplinkOutcome::unconfirmed);  // restarts for 3
  EXPECT_EQ(rx.receive(datagram(6), kElsewhere).outcome, UplinkOutcome::unconfirmed);
  EXPECT_EQ(rx.receive(datagram(9), kElsewhere).outcome, UplinkOutcome::deliver);
  EXPECT_EQ(rx.device(), kElsewhere);
  // Rising sequences only: a repeated one from the candidate does not count twice.
  Receiver r2(kKey, {.rebind_after = 2});
  r2.receive(datagram(1), kDevice);
  EXPECT_EQ(r2.receive(datagram(5), kElsewhere).outcome, UplinkOutcome::unconfirmed);
  EXPECT_EQ(r2.receive(datagram(5), kElsewhere).outcome, UplinkOutcome::unconfirmed);
  EXPECT_EQ(r2.receive(datagram(4), kElsewhere).outcome, UplinkOutcome::unconfirmed);
  EXPECT_EQ(r2.device(), kDevice);
  EXPECT_EQ(r2.receive(datagram(6), kElsewhere).outcome, UplinkOutcome::deliver);
}
