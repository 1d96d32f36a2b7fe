#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <time.h>

#include <gtest/gtest.h>

#include "audio/opus_decoder.h"
#include "audio/opus_encoder.h"
#include "audio/pcm.h"
#include "audio/resampler.h"
#include "support/speech.h"

using xz::audio::OpusDecoder;
using xz::audio::OpusEncoder;
using xz::audio::OpusFramer;

namespace {

const std::vector<std::int16_t>& speech16k() {
  static const auto pcm = xz::test::flite_speech("The quick brown fox jumps over the lazy dog near the river bank.");
  return pcm;
}

// Energy per block, the shape a listener hears; robust to the codec's phase changes.
std::vector<double> envelope(std::span<const std::int16_t> pcm, std::size_t block) {
  std::vector<double> out;
  for (std::size_t i = 0; i + block <= pcm.size(); i += block) out.push_back(xz::audio::rms(pcm.subspan(i, block)));
  return out;
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  std::size_t n = std::min(a.size(), b.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= n, mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

struct RoundTrip {
  int rate;
  int frame_ms;
};

class OpusRoundTrip : public ::testing::TestWithParam<RoundTrip> {};

}  // namespace

TEST_P(OpusRoundTrip, SpeechKeepsLengthEnergyAndShape) {
  const auto [rate, frame_ms] = GetParam();
  auto input = rate == 16000 ? speech16k() : xz::audio::resample_once(speech16k(), 16000, rate);
  OpusEncoder enc(rate, frame_ms, 5, 24000);
  OpusDecoder dec(rate, 1);
  const auto frame = static_cast<std::size_t>(enc.frame_samples());
  ASSERT_EQ(frame, static_cast<std::size_t>(rate / 1000 * frame_ms));
  input.resize(input.size() / frame * frame);

  std::vector<std::int16_t> output;
  for (std::size_t i = 0; i < input.size(); i += frame) {
    auto packet = enc.encode(std::span(input).subspan(i, frame));
    ASSERT_FALSE(packet.empty());
    std::string err;
    auto pcm = dec.decode(packet, &err);
    ASSERT_TRUE(pcm) << err;
    ASSERT_EQ(pcm->size(), frame);
    output.insert(output.end(), pcm->begin(), pcm->end());
  }
  ASSERT_EQ(output.size(), input.size());
  double ratio = xz::audio::rms(output) / xz::audio::rms(input);
  EXPECT_GT(ratio, 0.8);
  EXPECT_LT(ratio, 1.2);
  // 50 ms blocks; the codec delay (a few ms) barely moves them.
  auto block = static_cast<std::size_t>(rate / 20);
  EXPECT_GT(correlation(envelope(input, block), envelope(output, block)), 0.95);
}

INSTANTIATE_TEST_SUITE_P(RatesAndFrames, OpusRoundTrip,
                         ::testing::Values(RoundTrip{16000, 20}, RoundTrip{16000, 40}, RoundTrip{16000, 60},
                                           RoundTrip{24000, 20}, RoundTrip{24000, 40}, RoundTrip{24000, 60}),
                         [](const auto& info) {
                           return std::to_string(info.param.rate) + "Hz_" + std::to_string(info.param.frame_ms) + "ms";
                         });

TEST(OpusDtx, FirmwareLikeEncoderSendsTinyPacketsForSilenceThatDecode) {
  // The device uplink: 16 kHz, 60 ms, complexity 0, auto bitrate, DTX.
  OpusEncoder enc(16000, 60, 0, OpusEncoder::kBitrateAuto);
  enc.set_dtx(true);
  OpusDecoder dec(16000, 1);
  auto pcm = xz::test::concat({speech16k(), xz::test::silence(3.0)});
  const auto frame = static_cast<std::size_t>(enc.frame_samples());
  pcm.resize(pcm.size() / frame * frame);
  int tiny = 0;
  std::vector<std::int16_t> tail;  // decoded audio of the tiny packets
  for (std::size_t i = 0; i < pcm.size(); i += frame) {
    auto packet = enc.encode(std::span(pcm).subspan(i, frame));
    std::string err;
    auto out = dec.decode(packet, &err);
    ASSERT_TRUE(out) << "packet of " << packet.size() << " bytes: " << err;
    ASSERT_EQ(out->size(), frame);
    if (packet.size() <= 3) {
      ++tiny;
      tail.insert(tail.end(), out->begin(), out->end());
    }
  }
  EXPECT_GE(tiny, 20) << "3 s of silence should be mostly DTX packets";
  EXPECT_LT(xz::audio::rms(tail), 100.0);
}

TEST(OpusDecoder, TocOnlyPacketDecodesToOneSilentFrame) {
  OpusDecoder dec(16000, 1);
  // TOC byte: config 11 (SILK wideband, 60 ms), mono, one frame; no payload.
  std::string toc_only(1, static_cast<char>(11 << 3));
  std::string err;
  auto out = dec.decode(toc_only, &err);
  ASSERT_TRUE(out) << err;
  EXPECT_EQ(out->size(), 960u);
  EXPECT_LT(xz::audio::rms(*out), 10.0);
}

TEST(OpusDecoder, CorruptPacketIsAnErrorAndTheDecoderGoesOn) {
  OpusEncoder enc(16000, 40, 5, 24000);
  OpusDecoder dec(16000, 1);
  auto tone = xz::test::tone(0.04, 440);
  auto good = enc.encode(tone);
  ASSERT_TRUE(dec.decode(good));

  std::string err;
  // Code 1 (two equal frames) needs an even payload; one byte cannot be split.
  EXPECT_FALSE(dec.decode(std::string("\x01\xAA", 2), &err));
  EXPECT_EQ(err, "corrupted stream");
  err.clear();
  // Code 3 with three 60 ms frames: 180 ms is longer than any Opus packet.
  EXPECT_FALSE(dec.decode(std::string("\x5B\x03", 2), &err));
  EXPECT_FALSE(err.empty());
  // Larger than any valid packet.
  EXPECT_FALSE(dec.decode(std::string(70000, '\x10'), &err));

  auto again = dec.decode(enc.encode(tone), &err);
  ASSERT_TRUE(again) << err;
  EXPECT_EQ(again->size(), 640u);
  EXPECT_GT(xz::audio::rms(*again), 1000.0);
}

TEST(OpusDecoder, EmptyPacketConcealsTheLastFrameSize) {
  OpusDecoder dec(16000, 1);
  auto before = dec.decode("");
  ASSERT_TRUE(before);
  EXPECT_TRUE(before->empty()) << "nothing to conceal before the first packet";

  OpusEncoder enc(16000, 40, 5, 24000);
  ASSERT_TRUE(dec.decode(enc.encode(xz::test::tone(0.04, 300))));
  auto lost = dec.decode("");
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->size(), 640u);
  dec.reset();
  EXPECT_TRUE(dec.decode("")->empty());
}

// The uplink's speed bound reads each packet's duration from its header, undecoded.
TEST(OpusPacketDuration, ReadsTheFrameLengthFromTheHeader) {
  for (int ms : {20, 40, 60}) {
    OpusEncoder enc(16000, ms, 0, OpusEncoder::kBitrateAuto);
    std::vector<std::int16_t> pcm(static_cast<std::size_t>(16 * ms));
    auto d = xz::audio::opus_packet_duration(enc.encode(pcm));
    ASSERT_TRUE(d.has_value()) << ms;
    EXPECT_EQ(d->count(), ms * 1000) << ms;
  }
  EXPECT_FALSE(xz::audio::opus_packet_duration("").has_value());
  // Code 3 (a frame count follows) with the count byte missing.
  EXPECT_FALSE(xz::audio::opus_packet_duration(std::string(1, '\x03')).has_value());
  // Code 3 with 48 frames of 60 ms: 2.88 s, more than a packet may carry.
  EXPECT_FALSE(xz::audio::opus_packet_duration(std::string("\x1b\x30", 2)).has_value());
}

TEST(OpusDecoder, RejectsBadConfiguration) {
  EXPECT_THROW(OpusDecoder(44100, 1), std::invalid_argument);
  EXPECT_THROW(OpusDecoder(16000, 3), std::invalid_argument);
  OpusDecoder stereo(48000, 2);
  OpusEncoder enc(48000, 20, 5, 64000);  // mono stream; a stereo decoder upmixes it
  auto out = stereo.decode(enc.encode(xz::test::tone(0.02, 440, 48000)));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->size(), 960u * 2);
}

TEST(OpusEncoder, WrongFrameSizeAndBadSettingsThrow) {
  OpusEncoder enc(24000, 60, 5, 24000);
  EXPECT_EQ(enc.frame_samples(), 1440);
  std::vector<std::int16_t> short_frame(1439);
  EXPECT_THROW(enc.encode(short_frame), std::invalid_argument);
  EXPECT_THROW(OpusEncoder(22050, 60), std::invalid_argument);
  EXPECT_THROW(OpusEncoder(24000, 30), std::invalid_argument);
  EXPECT_THROW(OpusEncoder(24000, 60, 11), std::invalid_argument);
  EXPECT_THROW(OpusEncoder(24000, 60, 5, 100), std::invalid_argument);
}

TEST(OpusFramer, CountsFramesAndHoldsTheRest) {
  OpusFramer framer{OpusEncoder(24000, 60)};
  std::vector<std::int16_t> chunk(1000, 100);
  EXPECT_TRUE(framer.push(chunk).empty());
  EXPECT_EQ(framer.pending_samples(), 1000u);
  std::vector<std::int16_t> big(2000, 100);
  EXPECT_EQ(framer.push(big).size(), 2u);  // 3000 = 2 * 1440 + 120
  EXPECT_EQ(framer.pending_samples(), 120u);
  auto last = framer.flush();
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->empty());
  EXPECT_EQ(framer.pending_samples(), 0u);
  EXPECT_FALSE(framer.flush());
  EXPECT_EQ(framer.push(std::vector<std::int16_t>(1440 * 5, 1)).size(), 5u);
  framer.push(chunk);
  framer.reset();
  EXPECT_EQ(framer.pending_samples(), 0u);
  EXPECT_FALSE(framer.flush());
}

TEST(OpusFramer, ChunkingDoesNotChangeThePackets) {
  auto pcm = xz::audio::resample_once(speech16k(), 16000, 24000);
  OpusFramer whole{OpusEncoder(24000, 60)};
  OpusFramer pieces{OpusEncoder(24000, 60)};
  auto expected = whole.push(pcm);
  expected.push_back(*whole.flush());

  std::mt19937 rng(7);
  std::vector<std::string> got;
  std::span<const std::int16_t> rest(pcm);
  while (!rest.empty()) {
    auto n = std::min<std::size_t>(rest.size(), std::uniform_int_distribution<std::size_t>(1, 3000)(rng));
    for (auto& p : pieces.push(rest.first(n))) got.push_back(std::move(p));
    rest = rest.subspan(n);
  }
  got.push_back(*pieces.flush());
  EXPECT_EQ(got, expected);
}

TEST(OpusFramer, FlushPadsWithSilence) {
  OpusFramer framer{OpusEncoder(24000, 60)};
  auto tone = xz::test::tone(0.02, 500, 24000, 0.5);  // 480 of 1440 samples
  ASSERT_TRUE(framer.push(tone).empty());
  auto packet = framer.flush();
  ASSERT_TRUE(packet);
  OpusDecoder dec(24000, 1);
  auto out = dec.decode(*packet);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->size(), 1440u);
  double head = xz::audio::rms(std::span(*out).first(480));
  double tail = xz::audio::rms(std::span(*out).last(600));
  EXPECT_GT(head, 3000.0);
  EXPECT_LT(tail, head / 20) << "the padding must be silence, not repeated audio";
}

namespace {

// CPU time of this thread: other processes on a busy machine do not inflate it.
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

}  // namespace

TEST(OpusBench, EncodeAndDecodeCostPerFrame) {
  // Prints the cost (not asserted: machines differ); asserts only that work was done.
  auto pcm = xz::audio::resample_once(speech16k(), 16000, 24000);
  struct Case {
    int rate, complexity;
  };
  for (auto c : {Case{24000, 5}, Case{24000, 0}, Case{16000, 0}}) {
    auto input = c.rate == 24000 ? pcm : speech16k();
    OpusEncoder enc(c.rate, 60, c.complexity, c.rate == 16000 ? OpusEncoder::kBitrateAuto : 24000);
    OpusDecoder dec(c.rate, 1);
    const auto frame = static_cast<std::size_t>(enc.frame_samples());
    std::vector<std::string> packets;
    double t0 = thread_cpu_us();
    for (int rep = 0; rep < 4; ++rep)
      for (std::size_t i = 0; i + frame <= input.size(); i += frame)
        packets.push_back(enc.encode(std::span(input).subspan(i, frame)));
    double t1 = thread_cpu_us();
    std::size_t samples = 0;
    for (auto& p : packets) samples += dec.decode(p)->size();
    double t2 = thread_cpu_us();
    ASSERT_EQ(samples, packets.size() * frame);
    auto us = [&](double d) { return d / static_cast<double>(packets.size()); };
    std::printf("[bench] opus %d Hz 60 ms complexity %d: encode %.1f us/frame, decode %.1f us/frame CPU (%zu frames)\n",
                c.rate, c.complexity, us(t1 - t0), us(t2 - t1), packets.size());
  }
}
