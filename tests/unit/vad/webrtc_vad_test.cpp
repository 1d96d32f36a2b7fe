#include <chrono>
#include <cstdio>

#include <gtest/gtest.h>

#include "providers/vad/webrtc_vad.h"
#include "support/speech.h"
#include "unit/vad/vad_test_util.h"

using xz::core::Runtime;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using xz::providers::VadEvent;
using xz::providers::WebRtcVad;
using xz::test::feed;
using xz::test::ms;
using xz::test::run_on;

namespace {

const std::vector<std::int16_t>& sentence() {
  static const auto pcm = xz::test::flite_speech("please turn on the light in the kitchen");
  return pcm;
}

const std::vector<std::int16_t>& utterance() {
  static const auto pcm = xz::test::concat({xz::test::silence(1.0), sentence(), xz::test::silence(1.0)});
  return pcm;
}

class WebRtcVadTest : public ::testing::Test {
 protected:
  WebRtcVadTest() { rt.start(); }
  std::vector<VadEvent> detect(WebRtcVad& v, const std::vector<std::int16_t>& pcm, std::size_t chunk) {
    auto s = v.open();
    return run_on(rt, feed(*s, pcm, chunk));
  }

  Runtime rt{1, 1};
  ProviderContext ctx{rt.pool()};
  WebRtcVad vad{EngineConfig::object(), ctx};
};

}  // namespace

TEST_F(WebRtcVadTest, FindsTheSpeechSegment) {
  auto events = detect(vad, utterance(), 960);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, VadEvent::Kind::speech_start);
  EXPECT_EQ(events[1].kind, VadEvent::Kind::speech_end);
  auto [first, last] = xz::test::loud_span(sentence());
  const auto truth_start = static_cast<std::int64_t>(16000 + first);
  const auto truth_end = static_cast<std::int64_t>(16000 + last);
  const auto start = static_cast<std::int64_t>(events[0].sample);
  const auto end = static_cast<std::int64_t>(events[1].sample - vad.options().min_silence_samples);
  std::printf("truth %.0f-%.0f ms, detected start %.0f ms, end %.0f ms (+%.0f ms silence)\n", ms(truth_start),
              ms(truth_end), ms(start), ms(end), ms(static_cast<std::int64_t>(vad.options().min_silence_samples)));
  EXPECT_NEAR(ms(start), ms(truth_start), 300);
  EXPECT_NEAR(ms(end), ms(truth_end), 300);
}

TEST_F(WebRtcVadTest, SilenceIsNotSpeech) {
  EXPECT_TRUE(detect(vad, xz::test::silence(3.0), 960).empty());
}

TEST_F(WebRtcVadTest, ChunkSizeDoesNotChangeTheEvents) {
  auto reference = detect(vad, utterance(), 960);
  ASSERT_EQ(reference.size(), 2u);
  for (std::size_t chunk : {333u, 480u, 1u << 20}) {
    auto events = detect(vad, utterance(), chunk);
    ASSERT_EQ(events.size(), reference.size()) << "chunk " << chunk;
    for (std::size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].kind, reference[i].kind);
      EXPECT_EQ(events[i].sample, reference[i].sample) << "chunk " << chunk;
    }
  }
}

TEST_F(WebRtcVadTest, ResetStartsOver) {
  auto s = vad.open();
  auto first = run_on(rt, feed(*s, utterance(), 960));
  s->reset();
  EXPECT_FALSE(s->in_speech());
  auto second = run_on(rt, feed(*s, utterance(), 960));
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].sample, second[i].sample);
}

TEST_F(WebRtcVadTest, LongerMinSilenceEndsLater) {
  WebRtcVad slow({{"min_silence_duration_ms", 600}}, ctx);
  auto fast = detect(vad, utterance(), 960);
  auto later = detect(slow, utterance(), 960);
  ASSERT_EQ(fast.size(), 2u);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].sample, fast[0].sample);
  // 400 ms more; each end falls on the first 30 ms frame boundary past its threshold.
  EXPECT_GT(later[1].sample, fast[1].sample + 400 * 16 - 480);
  EXPECT_LT(later[1].sample, fast[1].sample + 400 * 16 + 480);
}

TEST_F(WebRtcVadTest, ReportsPerFrameCost) {
  const auto audio = xz::test::concat({utterance(), utterance(), utterance(), utterance()});
  auto s = vad.open();
  auto t0 = std::chrono::steady_clock::now();
  run_on(rt, feed(*s, audio, audio.size()));
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
                    static_cast<double>(audio.size() / 480);
  std::printf("webrtc vad: %.2f us per 30 ms frame\n", us);
  EXPECT_LT(us, 30000.0);
}

TEST(WebRtcVadConfig, BadSettingsAreConfigErrors) {
  Runtime rt{1, 1};
  ProviderContext ctx{rt.pool()};
  auto make = [&](EngineConfig cfg) { WebRtcVad v(cfg, ctx); };
  EXPECT_THROW(make({{"mode", 4}}), EngineConfigError);
  EXPECT_THROW(make({{"mode", 1.5}}), EngineConfigError);
  EXPECT_THROW(make({{"mode", "loud"}}), EngineConfigError);
  EXPECT_THROW(make({{"min_silence_duration_ms", "soon"}}), EngineConfigError);
  WebRtcVad ok({{"mode", 0}, {"min_silence_duration_ms", 300}}, ctx);
  EXPECT_EQ(ok.options().mode, 0);
  EXPECT_EQ(ok.options().min_silence_samples, 4800u);
}

namespace {
// Where speech_end fell when `partial` was heard once the sentence was over (none: never).
xz::core::Task<std::int64_t> end_after_partial(xz::providers::VadStream& s, const std::vector<std::int16_t>& pcm,
                                               std::size_t sentence_end, const char* partial) {
  std::size_t at = 0;
  bool told = partial == nullptr;
  for (; at < pcm.size(); at += 960) {
    const std::size_t n = std::min<std::size_t>(960, pcm.size() - at);
    for (const auto& e : co_await s.push(std::vector<std::int16_t>(pcm.begin() + at, pcm.begin() + at + n)))
      if (e.kind == VadEvent::Kind::speech_end) co_return static_cast<std::int64_t>(e.sample);
    if (!told && at + n >= sentence_end) {
      s.hear_partial(partial);
      told = true;
    }
  }
  co_return -1;
}
}  // namespace

TEST_F(WebRtcVadTest, APartialTranscriptSetsTheEndsSilence) {
  const auto sentence_end = 16000 + xz::test::loud_span(sentence()).second;
  auto end = [&](const char* partial) {
    auto s = vad.open();
    return run_on(rt, end_after_partial(*s, utterance(), sentence_end, partial));
  };
  const std::int64_t none = end(nullptr);
  const std::int64_t complete = end("Please turn on the light in the kitchen.");
  const std::int64_t trailing = end("please turn on the light in the kitchen and");
  const std::int64_t open = end("please turn on the light in the kitchen");
  ASSERT_GT(none, 0);
  const std::int64_t last_voice = none - 3200;  // within one 30 ms frame
  std::printf("end of voice -> speech_end: no partial %.0f ms, complete %.0f ms, trailing \"and\" %.0f ms\n",
              ms(none - last_voice), ms(complete - last_voice), ms(trailing - last_voice));
  EXPECT_EQ(open, none) << "a partial that ends neither way keeps min_silence_duration_ms";
  EXPECT_NEAR(static_cast<double>(complete - last_voice), 1920, 480);
  EXPECT_NEAR(static_cast<double>(trailing - last_voice), 9600, 480);
  // Off: every partial keeps the endpoint.
  WebRtcVad off{EngineConfig{{"adaptive_end_of_turn", false}}, ctx};
  auto s = off.open();
  EXPECT_EQ(run_on(rt, end_after_partial(*s, utterance(), sentence_end, "Please turn on the light.")), none);
}
