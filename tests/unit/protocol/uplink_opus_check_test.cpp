// protocol::plausible_uplink_opus: real uplink packets from libopus pass; what a wrong
// key makes of a datagram (random bytes) rarely does.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "audio/opus_encoder.h"
#include "protocol/uplink_opus_check.h"

using namespace std::chrono_literals;
using xz::protocol::plausible_uplink_opus;

namespace {
std::vector<std::string> encode(int frame_ms, int bitrate, bool dtx) {
  xz::audio::OpusEncoder enc(16000, frame_ms, 5, bitrate);
  enc.set_dtx(dtx);
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 3000);
  std::vector<std::string> out;
  std::vector<std::int16_t> frame(enc.frame_samples());
  for (int f = 0; f < 30; ++f) {
    for (std::size_t i = 0; i < frame.size(); ++i) {
      const double t = double(f * frame.size() + i) / 16000.0;
      // tone, then noise, then silence (DTX packets)
      const double v = f < 10 ? 8000 * std::sin(2 * M_PI * 440 * t) : f < 20 ? noise(rng) : 0;
      frame[i] = std::int16_t(std::clamp(v, -32768.0, 32767.0));
    }
    out.push_back(enc.encode(frame));
  }
  return out;
}
}  // namespace

TEST(UplinkOpusCheck, RealPacketsPass) {
  for (int bitrate : {xz::audio::OpusEncoder::kBitrateAuto, 16000, 64000}) {
    for (bool dtx : {false, true}) {
      for (const auto& p : encode(60, bitrate, dtx)) {
        EXPECT_TRUE(plausible_uplink_opus(p, 60ms)) << "bitrate " << bitrate << " size " << p.size();
      }
    }
  }
  for (const auto& p : encode(20, 24000, false)) EXPECT_TRUE(plausible_uplink_opus(p, 20ms));
}

TEST(UplinkOpusCheck, WrongDurationStereoOrWidebandPlusFail) {
  for (const auto& p : encode(20, 24000, false)) EXPECT_FALSE(plausible_uplink_opus(p, 60ms));
  EXPECT_FALSE(plausible_uplink_opus("", 60ms));
  EXPECT_FALSE(plausible_uplink_opus(std::string(1, char(11 << 3)), 20ms));
  EXPECT_TRUE(plausible_uplink_opus(std::string(1, char(11 << 3)), 60ms));  // SILK WB 60 ms, DTX
  EXPECT_FALSE(plausible_uplink_opus(std::string(1, char((11 << 3) | 4)), 60ms));  // stereo
  // Hybrid and CELT super-wideband: a 16 kHz encoder cannot make them.
  EXPECT_FALSE(plausible_uplink_opus(std::string{char((31 << 3) | 3), char(3), 'x', 'y', 'z'}, 60ms));
  // Code 1 (two equal frames) needs an even number of bytes after the TOC.
  EXPECT_FALSE(plausible_uplink_opus(std::string{char((1 << 3) | 1), 'a', 'b', 'c'}, 20ms));
  EXPECT_TRUE(plausible_uplink_opus(std::string{char((1 << 3) | 1), 'a', 'b'}, 40ms));
}

TEST(UplinkOpusCheck, RandomBytesRarelyPass) {
  // What a forged datagram decrypts to under the channel's key.
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> byte(0, 255), size(20, 200);
  int passed = 0;
  constexpr int kTrials = 100000;
  for (int i = 0; i < kTrials; ++i) {
    std::string p(std::size_t(size(rng)), '\0');
    for (auto& c : p) c = char(byte(rng));
    passed += plausible_uplink_opus(p, 60ms);
  }
  const double rate = double(passed) / kTrials;
  RecordProperty("random_pass_rate", std::to_string(rate));
  std::printf("random payloads passing: %.4f%%\n", rate * 100);
  EXPECT_LT(rate, 0.015);
}
