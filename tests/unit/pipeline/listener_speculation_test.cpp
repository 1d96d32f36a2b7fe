// The Listener's speculative transcripts: real Silero VAD and real Opus; the ASR is the
// OpenAI transcription engine against the local fake, so each ASR call is one request
// the test can count.
#include <algorithm>
#include <cstdlib>
#include <future>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "audio/opus_encoder.h"
#include "core/async.h"
#include "core/log.h"
#include "core/runtime.h"
#include "pipeline/listener.h"
#include "providers/asr/openai_asr.h"
#include "providers/vad/silero_vad.h"
#include "support/fake_openai.h"
#include "support/speech.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using xz::core::Task;
using xz::pipeline::Listener;
using xz::pipeline::ListenerEvents;
using xz::pipeline::ListenerSettings;
using xz::pipeline::Utterance;

namespace {

// flite's speech without its quiet ends: the gaps put between parts are what the VAD hears.
std::vector<std::int16_t> trimmed_speech(const std::string& text) {
  auto pcm = xz::test::flite_speech(text);
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

// The firmware's uplink: 16 kHz, 60 ms packets.
std::vector<std::string> opus_packets(std::vector<std::int16_t> pcm) {
  xz::audio::OpusEncoder enc(16000, 60, 0, xz::audio::OpusEncoder::kBitrateAuto);
  const auto n = static_cast<std::size_t>(enc.frame_samples());
  pcm.resize((pcm.size() + n - 1) / n * n, 0);
  std::vector<std::string> out;
  for (std::size_t at = 0; at < pcm.size(); at += n) out.push_back(enc.encode(std::span<const std::int16_t>(pcm.data() + at, n)));
  return out;
}

}  // namespace

TEST(ListenerSpeculation, AtMostThreeSpeculativeTranscriptsPerUtterance) {
  xz::core::Runtime rt{1, 1};
  rt.start();
  xz::providers::ProviderContext ctx{rt.pool()};
  xz::test::FakeOpenAi fake;
  fake.set_transcript("what is the weather");
  xz::providers::SileroVad vad(xz::providers::EngineConfig::object(), ctx);  // speculative_silence_ms 100
  xz::providers::OpenAiAsr asr({{"type", "openai"},
                                {"base_url", fake.url() + "/audio/transcriptions"},
                                {"api_key", "sk-asr"},
                                {"model_name", "gpt-4o-mini-transcribe"}},
                               ctx);
  // One utterance with six pauses of 150 ms (each a tentative end, none an end of speech).
  const auto part = trimmed_speech("what is the weather");
  std::vector<std::vector<std::int16_t>> parts{xz::test::silence(0.5)};
  for (int i = 0; i < 7; ++i) {
    parts.push_back(part);
    if (i < 6) parts.push_back(xz::test::silence(0.15));
  }
  parts.push_back(xz::test::silence(1.0));
  const auto packets = opus_packets(xz::test::concat(parts));

  ListenerSettings settings;
  settings.max_uplink_speed = 1000;  // the test sends faster than real time
  settings.max_queued_frames = 10000;
  xz::core::SessionLog log("test", "test");
  std::promise<Utterance> heard;
  int speculative = 0;
  ListenerEvents events;
  events.utterance = [&](Utterance u) { heard.set_value(std::move(u)); };
  events.speculative = [&](const xz::providers::AsrResult&) { ++speculative; };
  events.speculation_dropped = [] {};
  std::unique_ptr<Listener> listener;
  auto ex = rt.loop(0).get_executor();
  asio::post(ex, [&] {
    listener = std::make_unique<Listener>(ex, settings, vad, asr, log, events);
    listener->start(Listener::Mode::vad);
    for (const auto& p : packets) listener->push_opus(p);
  });
  auto got = heard.get_future();
  ASSERT_EQ(got.wait_for(60s), std::future_status::ready) << "no utterance";
  const Utterance u = got.get();
  // close() waits for the speculations still transcribing: every ASR call is counted after it.
  asio::co_spawn(ex, [&]() -> Task<void> { co_await listener->close(); }(), asio::use_future).get();
  EXPECT_EQ(u.text, "what is the weather");
  const auto calls = fake.request_count();
  // Without the bound every pause costs a call: 8 in all here (measured with the bound removed).
  EXPECT_GE(calls, 2u) << "no speculation at all";
  EXPECT_LE(calls, static_cast<std::size_t>(settings.max_speculations_per_utterance) + 1) << calls << " ASR calls";
  EXPECT_LE(speculative, settings.max_speculations_per_utterance);
  asio::post(ex, [&] { listener.reset(); });
  rt.stop();
}
