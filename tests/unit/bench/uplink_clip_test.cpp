#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "audio/opus_decoder.h"
#include "providers/vad/silero_vad.h"
#include "sim/load/uplink_clip.h"
#include "sim/load/vad_calibration.h"
#include "support/speech.h"

using namespace std::chrono_literals;
using xz::sim::UplinkClip;

namespace {

TEST(UplinkClip, TrimsTheSynthesizersPadding) {
  std::vector<std::int16_t> pcm = xz::test::concat({xz::test::silence(0.3), xz::test::tone(0.5, 440), xz::test::silence(0.2)});
  auto trimmed = xz::sim::trim_silence(pcm);
  EXPECT_NEAR(static_cast<double>(trimmed.size()), 8000.0, 20.0);
  EXPECT_TRUE(xz::sim::trim_silence(xz::test::silence(1.0)).empty());
}

TEST(UplinkClip, LaysOutThinkingSpeechAndSilence) {
  auto speech = xz::test::tone(1.0, 300);  // 1 s: 17 packets of 60 ms
  auto clip = xz::sim::make_uplink_clip(speech, 1200ms, 3000ms);
  EXPECT_EQ(clip.speech_first, 20u);
  EXPECT_EQ(clip.speech_last, 20u + 16u);
  EXPECT_EQ(clip.packets.size(), 20u + 17u + 50u);
  EXPECT_EQ(clip.loop_from, clip.packets.size() - 20);
  // Past the end, the steady silence repeats.
  EXPECT_EQ(&clip.at(clip.packets.size()), &clip.packets[clip.loop_from]);
  EXPECT_EQ(&clip.at(clip.packets.size() + 21), &clip.packets[clip.loop_from + 1]);
  // DTX: the firmware's encoder sends mostly near-empty packets for silence.
  std::size_t tiny = 0;
  for (std::size_t i = 0; i < clip.speech_first; ++i) tiny += clip.packets[i].size() <= 3 ? 1 : 0;
  EXPECT_GE(tiny, clip.speech_first / 2);
  EXPECT_GT(clip.packets[25].size(), 10u);
  // Every packet is one 60 ms frame at 16 kHz.
  xz::audio::OpusDecoder dec(16000, 1);
  for (std::size_t i = 0; i < clip.packets.size(); ++i) {
    auto pcm = dec.decode(clip.packets[i]);
    ASSERT_TRUE(pcm) << i;
    EXPECT_EQ(pcm->size(), 960u) << i;
  }
}

TEST(UplinkClip, RejectsSilenceAndAShortTail) {
  EXPECT_THROW(xz::sim::make_uplink_clip(xz::test::silence(1.0), 1000ms, 3000ms), std::invalid_argument);
  EXPECT_THROW(xz::sim::make_uplink_clip(xz::test::tone(1.0, 300), 1000ms, 500ms), std::invalid_argument);
}

xz::sim::VadCalibration calibrate(const UplinkClip& clip, double min_silence_ms) {
  boost::asio::thread_pool pool(1);
  xz::providers::ProviderContext ctx{pool, "data"};
  xz::providers::SileroVad vad(nlohmann::json{{"min_silence_duration_ms", min_silence_ms}}, ctx);
  boost::asio::io_context io;
  auto fut = boost::asio::co_spawn(io, xz::sim::calibrate_vad(clip, vad, clip.packets.size()), boost::asio::use_future);
  io.run();
  return fut.get();
}

TEST(VadCalibration, FindsWhereTheServersVadDecides) {
  auto clip = xz::sim::make_uplink_clip(xz::test::flite_speech("What is the weather like today?"), 1200ms, 3000ms);
  auto cal = calibrate(clip, 200);
  ASSERT_TRUE(cal.start_packet);
  ASSERT_TRUE(cal.end_packet);
  // Speech starts within the spoken packets and ends after the last of them by at least
  // the configured silence, but not much more.
  EXPECT_GE(*cal.start_packet, clip.speech_first);
  EXPECT_LE(*cal.start_packet, clip.speech_last);
  const double after_ms = static_cast<double>(*cal.end_packet - clip.speech_last) * 60.0;
  EXPECT_GE(after_ms, 180.0);
  EXPECT_LE(after_ms, 600.0);

  // A longer silence setting moves the decision later by about as much.
  auto slow = calibrate(clip, 600);
  ASSERT_TRUE(slow.end_packet);
  const double moved_ms = static_cast<double>(*slow.end_packet - *cal.end_packet) * 60.0;
  EXPECT_NEAR(moved_ms, 400.0, 120.0);
}

TEST(VadCalibration, SilenceNeverStartsSpeech) {
  std::vector<std::int16_t> quiet(16000, 0);
  quiet[8000] = 200;  // one click: loud enough to survive trimming, far too short for speech
  auto clip = xz::sim::make_uplink_clip(quiet, 600ms, 2000ms);
  auto cal = calibrate(clip, 200);
  EXPECT_FALSE(cal.start_packet);
  EXPECT_FALSE(cal.end_packet);
}

}  // namespace
