// Adaptive end of turn: real Silero VAD, real Opus, spoken sentences (flite for English,
// espeak-ng cmn for Chinese); the ASR is a scripted streaming engine that reports one
// partial transcript once it has heard the whole sentence, as a streaming vendor would.
// Each run prints true end of speech -> endpoint, counted in audio samples (what the ASR
// had been given when the Listener asked for its final), so load never changes it.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "audio/opus_encoder.h"
#include "core/async.h"
#include "core/log.h"
#include "core/runtime.h"
#include "pipeline/listener.h"
#include "providers/vad/silero_vad.h"
#include "support/speech.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using xz::core::Task;
using xz::pipeline::Listener;
using xz::pipeline::ListenerEvents;
using xz::pipeline::ListenerSettings;
using xz::pipeline::Utterance;

namespace {

constexpr std::size_t kRate = 16000;

// Speech without its quiet ends: the silence after it is exactly what the test adds.
std::vector<std::int16_t> trimmed(std::vector<std::int16_t> pcm) {
  constexpr std::size_t kFrame = 160;
  std::size_t first = pcm.size(), last = 0;
  for (std::size_t at = 0; at + kFrame <= pcm.size(); at += kFrame) {
    int peak = 0;
    for (std::size_t i = at; i < at + kFrame; ++i) peak = std::max(peak, std::abs(static_cast<int>(pcm[i])));
    if (peak > 300) {
      first = std::min(first, at);
      last = at + kFrame;
    }
  }
  if (first >= last) return pcm;
  return {pcm.begin() + static_cast<std::ptrdiff_t>(first), pcm.begin() + static_cast<std::ptrdiff_t>(last)};
}

std::vector<std::string> opus_packets(std::vector<std::int16_t> pcm) {
  xz::audio::OpusEncoder enc(16000, 60, 0, xz::audio::OpusEncoder::kBitrateAuto);
  const auto n = static_cast<std::size_t>(enc.frame_samples());
  pcm.resize((pcm.size() + n - 1) / n * n, 0);
  std::vector<std::string> out;
  for (std::size_t at = 0; at < pcm.size(); at += n) out.push_back(enc.encode(std::span<const std::int16_t>(pcm.data() + at, n)));
  return out;
}

// A streaming engine in miniature: one partial once `partial_at` samples were pushed.
struct ScriptedStream : xz::providers::AsrStream {
  ScriptedStream(std::optional<std::string> partial, std::size_t partial_at, std::size_t* heard)
      : partial_(std::move(partial)), partial_at_(partial_at), heard_(heard) {}
  void on_partial(xz::providers::AsrPartialSink sink) override { sink_ = std::move(sink); }
  asio::awaitable<void> push(std::vector<std::int16_t> pcm) override {
    *heard_ += pcm.size();
    if (partial_ && sink_ && *heard_ >= partial_at_) {
      sink_(*partial_);
      partial_.reset();
    }
    co_return;
  }
  asio::awaitable<xz::providers::AsrResult> finish() override { co_return xz::providers::AsrResult{"heard", "", "", ""}; }

  std::optional<std::string> partial_;
  std::size_t partial_at_;
  std::size_t* heard_;
  xz::providers::AsrPartialSink sink_;
};

struct ScriptedAsr : xz::providers::AsrEngine {
  asio::awaitable<std::unique_ptr<xz::providers::AsrStream>> open() override {
    ++opened;
    heard = 0;
    co_return std::make_unique<ScriptedStream>(partial, partial_at, &heard);
  }
  std::optional<std::string> partial;
  std::size_t partial_at = 0;
  std::size_t heard = 0;  // samples the current stream was given
  int opened = 0;
};

class ListenerTurnEnd : public ::testing::Test {
 protected:
  void SetUp() override { rt_.start(); }
  void TearDown() override { rt_.stop(); }

  // Milliseconds from the end of `speech` to the endpoint, with the partial `partial`
  // (none: a batch engine) reported once the ASR has heard the whole sentence.
  // `lag_ms`: the engine's partial comes that long after the end of speech.
  long endpoint_delay_ms(const std::vector<std::int16_t>& speech, std::optional<std::string> partial,
                         std::size_t lag_ms = 0) {
    return endpoint_delay_ms(vad_, speech, std::move(partial), lag_ms);
  }
  long endpoint_delay_ms(xz::providers::VadEngine& vad, const std::vector<std::int16_t>& speech,
                         std::optional<std::string> partial, std::size_t lag_ms = 0) {
    const auto lead = xz::test::silence(0.3);
    const std::size_t end_of_speech = lead.size() + speech.size();
    const auto packets = opus_packets(xz::test::concat({lead, speech, xz::test::silence(1.5)}));
    ScriptedAsr asr;
    asr.partial = std::move(partial);
    asr.partial_at = end_of_speech + lag_ms * kRate / 1000;
    ListenerSettings settings;
    settings.max_uplink_speed = 1000;  // the test sends faster than real time
    settings.max_queued_frames = 10000;
    xz::core::SessionLog log("test", "test");
    std::promise<std::size_t> heard;
    ListenerEvents events;
    events.utterance = [&](Utterance) { heard.set_value(asr.heard); };
    std::unique_ptr<Listener> listener;
    auto ex = rt_.loop(0).get_executor();
    asio::post(ex, [&] {
      listener = std::make_unique<Listener>(ex, settings, vad, asr, log, events);
      listener->start(Listener::Mode::vad);
      for (const auto& p : packets) listener->push_opus(p);
    });
    auto got = heard.get_future();
    if (got.wait_for(60s) != std::future_status::ready) {
      ADD_FAILURE() << "no utterance";
      return -1;
    }
    const std::size_t at = got.get();
    asio::co_spawn(ex, [&]() -> Task<void> { co_await listener->close(); }(), asio::use_future).get();
    asio::post(ex, asio::use_future([&] { listener.reset(); })).get();
    // The pre-roll (600 ms) holds all of the lead: the ASR heard the stream from its start.
    EXPECT_GE(at, end_of_speech) << "the endpoint came before the speech ended";
    return static_cast<long>((static_cast<long long>(at) - static_cast<long long>(end_of_speech)) * 1000 /
                             static_cast<long long>(kRate));
  }

  struct Delays {
    long none, complete, trailing;
  };
  Delays measure(const char* language, const std::vector<std::int16_t>& sentence, const std::string& complete,
                 const std::vector<std::int16_t>& trailing_sentence, const std::string& trailing) {
    Delays d{endpoint_delay_ms(sentence, std::nullopt), endpoint_delay_ms(sentence, complete),
             endpoint_delay_ms(trailing_sentence, trailing)};
    std::printf("[%s] end of speech -> endpoint (min_silence 200, complete 120, max trailing 600 ms):\n"
                "  no partial %ld ms | \"%s\" %ld ms | \"%s\" %ld ms\n",
                language, d.none, complete.c_str(), d.complete, trailing.c_str(), d.trailing);
    // A vendor's partial lags the audio: what is left of the gain when it comes 100 ms late.
    const long complete_late = endpoint_delay_ms(sentence, complete, 100);
    const long trailing_late = endpoint_delay_ms(trailing_sentence, trailing, 100);
    std::printf("  partial 100 ms after the end of speech: complete %ld ms | trailing %ld ms\n", complete_late,
                trailing_late);
    EXPECT_LE(complete_late, d.none);
    EXPECT_EQ(trailing_late, d.trailing) << "the longer wait does not depend on when the partial came";
    return d;
  }

  xz::core::Runtime rt_{1, 1};
  xz::providers::ProviderContext ctx_{rt_.pool()};
  // No pauses: this test is about the endpoint alone (speculation has its own tests).
  xz::providers::SileroVad vad_{xz::providers::EngineConfig{{"speculative_silence_ms", 0}}, ctx_};
};

// Bounds: the endpoint fires on the first 60 ms packet after the silence has elapsed,
// and Silero's last voiced window may outlast the trimmed speech by a window or two.
constexpr long kLate = 60 + 64;

}  // namespace

TEST_F(ListenerTurnEnd, EnglishCompleteSentenceEndsSoonerTrailingConjunctionLater) {
  const auto d = measure("en", trimmed(xz::test::flite_speech("what is the weather today")),
                         "What is the weather today?", trimmed(xz::test::flite_speech("I want to go out and")),
                         "I want to go out and");
  EXPECT_GE(d.none, 200);
  EXPECT_LE(d.none, 200 + kLate);
  EXPECT_GE(d.complete, 120);
  EXPECT_LT(d.complete, d.none) << "a complete sentence must end sooner than min_silence";
  EXPECT_LE(d.complete, 120 + kLate);
  EXPECT_GE(d.trailing, 600) << "a trailing \"and\" must wait for max_trailing_silence_ms";
  EXPECT_LE(d.trailing, 600 + kLate) << "never past the bound";
}

TEST_F(ListenerTurnEnd, ChineseCompleteSentenceEndsSoonerTrailingYinweiLater) {
  const auto d = measure("cmn", trimmed(xz::test::espeak_speech("今天天气怎么样", "cmn")), "今天天气怎么样？",
                         trimmed(xz::test::espeak_speech("我想去北京因为", "cmn")), "我想去北京因为");
  EXPECT_GE(d.none, 200);
  EXPECT_LE(d.none, 200 + kLate);
  EXPECT_GE(d.complete, 120);
  EXPECT_LT(d.complete, d.none) << "a complete sentence must end sooner than min_silence";
  EXPECT_LE(d.complete, 120 + kLate);
  EXPECT_GE(d.trailing, 600) << "a trailing \"因为\" must wait for max_trailing_silence_ms";
  EXPECT_LE(d.trailing, 600 + kLate) << "never past the bound";
}

TEST_F(ListenerTurnEnd, WithoutPartialsTheEndpointIsUnchanged) {
  // A batch engine: no partial, so min_silence_duration_ms (200) as before.
  const auto sentence = trimmed(xz::test::flite_speech("I want to go out and"));
  const long d = endpoint_delay_ms(sentence, std::nullopt);
  EXPECT_GE(d, 200);
  EXPECT_LE(d, 200 + kLate);
  // Switched off in the config, a partial changes nothing either.
  xz::providers::SileroVad off{xz::providers::EngineConfig{{"speculative_silence_ms", 0}, {"adaptive_end_of_turn", false}},
                               ctx_};
  const long with_partial_off = endpoint_delay_ms(off, sentence, "I want to go out and");
  EXPECT_EQ(with_partial_off, d);
}

TEST_F(ListenerTurnEnd, NoSpeculativeTranscriptWithoutATaker) {
  // A 150 ms pause inside the sentence is a VAD pause (speculative_silence_ms 100), but
  // without events.speculative nobody would use its transcript: one ASR stream only.
  const auto part = trimmed(xz::test::flite_speech("what is the weather"));
  const auto packets = opus_packets(xz::test::concat(
      {xz::test::silence(0.3), part, xz::test::silence(0.15), part, xz::test::silence(1.0)}));
  xz::providers::SileroVad pausing{xz::providers::EngineConfig::object(), ctx_};
  ScriptedAsr asr;
  ListenerSettings settings;
  settings.max_uplink_speed = 1000;
  settings.max_queued_frames = 10000;
  xz::core::SessionLog log("test", "test");
  std::promise<void> heard;
  ListenerEvents events;
  events.utterance = [&](Utterance) { heard.set_value(); };
  std::unique_ptr<Listener> listener;
  auto ex = rt_.loop(0).get_executor();
  asio::post(ex, [&] {
    listener = std::make_unique<Listener>(ex, settings, pausing, asr, log, events);
    listener->start(Listener::Mode::vad);
    for (const auto& p : packets) listener->push_opus(p);
  });
  ASSERT_EQ(heard.get_future().wait_for(60s), std::future_status::ready) << "no utterance";
  asio::co_spawn(ex, [&]() -> Task<void> { co_await listener->close(); }(), asio::use_future).get();
  asio::post(ex, asio::use_future([&] { listener.reset(); })).get();
  EXPECT_EQ(asr.opened, 1) << "measured 3 without the check";
}
