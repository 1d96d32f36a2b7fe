#include "history/opus_packets.h"

#include <gtest/gtest.h>

#include "audio/opus_decoder.h"
#include "history_test_util.h"

using namespace xz::history;

TEST(OpusPackets, RealUplinkPacketsRoundTripByteForByte) {
  auto packets = xz::test::uplink_packets("remember that my sister is called Anna");
  ASSERT_GT(packets.size(), 10u);
  auto blob = pack_opus_packets(packets);
  EXPECT_EQ(blob.size(), packed_size(packets));
  auto back = unpack_opus_packets(blob);
  ASSERT_EQ(back, packets);

  // What comes back is playable: every packet decodes to one 60 ms frame at 16 kHz.
  xz::audio::OpusDecoder decoder(16000, 1);
  for (const auto& p : back) {
    auto pcm = decoder.decode(p);
    ASSERT_TRUE(pcm.has_value());
    EXPECT_EQ(pcm->size(), 960u);
  }
}

TEST(OpusPackets, LayoutIsBigEndianLengthThenBytes) {
  std::vector<std::string> packets = {std::string("\x01\x02\x03", 3), std::string(), std::string(300, '\0')};
  auto blob = pack_opus_packets(packets);
  ASSERT_EQ(blob.size(), 2 + 3 + 2 + 0 + 2 + 300u);
  EXPECT_EQ(blob.substr(0, 5), std::string("\x00\x03\x01\x02\x03", 5));
  EXPECT_EQ(blob.substr(5, 2), std::string("\x00\x00", 2));
  EXPECT_EQ(blob.substr(7, 2), std::string("\x01\x2c", 2));
  EXPECT_EQ(unpack_opus_packets(blob), packets);
  EXPECT_TRUE(unpack_opus_packets("").empty());
}

TEST(OpusPackets, CutDataIsAClearError) {
  auto blob = pack_opus_packets(std::vector<std::string>{"abcdef", "ghi"});
  for (std::size_t cut : {std::size_t{1}, std::size_t{5}, blob.size() - 1}) {
    try {
      unpack_opus_packets(std::string_view(blob).substr(0, cut));
      FAIL() << "cut at " << cut << " was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("cut"), std::string::npos) << e.what();
    }
  }
}

TEST(OpusPackets, OversizedPacketIsRefused) {
  std::vector<std::string> packets = {std::string(kMaxOpusPacketBytes + 1, 'x')};
  EXPECT_THROW(pack_opus_packets(packets), std::invalid_argument);
}
