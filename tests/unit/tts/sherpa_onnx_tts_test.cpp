// The local neural TTS (sherpa_onnx_local) on a tiny VITS-shaped model the test writes
// (support/tiny_vits): the real sherpa-onnx library, its lexicon frontend and the real
// ONNX Runtime. The model's output is a function of the tokens it gets, so the PCM shows
// what sherpa-onnx fed it.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include <link.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"
#include "providers/asr/sherpa_onnx_asr.h"
#include "providers/tts/sherpa_onnx_tts.h"
#include "providers/vad/silero_vad.h"
#include "support/speech.h"
#include "support/tiny_sense_voice.h"
#include "support/tiny_vits.h"
#include "tts_harness.h"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using xz::providers::SherpaOnnxTts;
using xz::providers::TtsRequest;
using xz::test::Received;

namespace {

const fs::path& scratch() {
  static const struct Scratch {
    fs::path dir = fs::temp_directory_path() / ("xz-sherpa-tts-test-" + std::to_string(::getpid()));
    ~Scratch() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } s;
  return s.dir;
}

std::string fresh_dir(const std::string& name) {
  auto dir = scratch() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

const std::string& model_dir() {
  static const std::string dir = xz::test::write_tiny_vits(fresh_dir("vits")).dir;
  return dir;
}

EngineConfig entry(EngineConfig extra = EngineConfig::object()) {
  EngineConfig c = {{"type", "sherpa_onnx_local"}, {"model_type", "vits"}, {"model_dir", model_dir()},
                    {"num_threads", 1}};
  for (auto it = extra.begin(); it != extra.end(); ++it) c[it.key()] = it.value();
  return c;
}

// Each sample within 1 of the expected (float rounding in the graph).
void expect_pcm_near(const std::vector<std::int16_t>& got, const std::vector<std::int16_t>& want) {
  ASSERT_EQ(got.size(), want.size());
  std::size_t off = 0;
  for (std::size_t i = 0; i < got.size(); ++i) off += std::abs(got[i] - want[i]) > 1;
  EXPECT_EQ(off, 0u) << "samples differing from what the graph implies";
}

std::string config_error(const EngineConfig& cfg, ProviderContext& ctx) {
  try {
    SherpaOnnxTts tts(cfg, ctx);
  } catch (const EngineConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::size_t onnx_runtimes_loaded() {
  std::size_t n = 0;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* count) {
        const std::string name = info->dlpi_name ? info->dlpi_name : "";
        if (name.find("libonnxruntime") != std::string::npos) ++*static_cast<std::size_t*>(count);
        return 0;
      },
      &n);
  return n;
}

}  // namespace

TEST(SherpaOnnxTts, SpeaksASentenceAsTheModelsGraphImplies) {
  asio::io_context io;
  asio::thread_pool pool(2);
  ProviderContext ctx{pool};
  SherpaOnnxTts tts(entry(), ctx);
  EXPECT_EQ(tts.sample_rate(), xz::test::kTinyVitsSampleRate);
  Received got;
  xz::test::run_synthesis(io, tts, TtsRequest{"你好世界", "", "zh"}, xz::test::recording_sink(got));
  const auto ids = xz::test::tiny_vits_tokens("你好世界");
  EXPECT_EQ(got.pcm.size(), ids.size() * xz::test::kTinyVitsSamplesPerToken);
  expect_pcm_near(got.pcm, xz::test::tiny_vits_pcm(ids, 0, 1.0f));
  EXPECT_EQ(got.sample_rate(), xz::test::kTinyVitsSampleRate);
  // The sink runs on the caller's executor (this thread), never on a worker.
  for (auto id : got.sink_threads) EXPECT_EQ(id, std::this_thread::get_id());
  EXPECT_EQ(tts.stats().texts, 1u);
}

TEST(SherpaOnnxTts, SpeakerIdAndSpeedReachTheModel) {
  asio::io_context io;
  asio::thread_pool pool(2);
  ProviderContext ctx{pool};
  SherpaOnnxTts tts(entry({{"speaker_id", 2}, {"speed", 2.0}}), ctx);
  const auto ids = xz::test::tiny_vits_tokens("世界");
  Received got;
  xz::test::run_synthesis(io, tts, TtsRequest{"世界", "", ""}, xz::test::recording_sink(got));
  expect_pcm_near(got.pcm, xz::test::tiny_vits_pcm(ids, 2, 2.0f));
  // A device's voice that is a speaker number picks that speaker.
  Received voiced;
  xz::test::run_synthesis(io, tts, TtsRequest{"世界", "3", ""}, xz::test::recording_sink(voiced));
  expect_pcm_near(voiced.pcm, xz::test::tiny_vits_pcm(ids, 3, 2.0f));
}

TEST(SherpaOnnxTts, BlankTextCostsNoModelRun) {
  asio::io_context io;
  asio::thread_pool pool(1);
  ProviderContext ctx{pool};
  SherpaOnnxTts tts(entry(), ctx);
  Received got;
  xz::test::run_synthesis(io, tts, TtsRequest{" \n", "", ""}, xz::test::recording_sink(got));
  EXPECT_TRUE(got.pcm.empty());
  EXPECT_EQ(tts.stats().texts, 0u);
}

// Synthesis needs the worker pool: with every worker held, nothing is made, and the loop
// stays free (a handler posted after the request runs at once).
TEST(SherpaOnnxTts, SynthesisRunsOnTheWorkerPoolNotTheLoop) {
  asio::io_context io;
  asio::thread_pool pool(1);
  ProviderContext ctx{pool};
  SherpaOnnxTts tts(entry(), ctx);
  std::promise<void> release;
  std::latch held(1);
  asio::post(pool, [&, r = release.get_future().share()] {
    held.count_down();
    r.wait();
  });
  held.wait();
  Received got;
  auto done = asio::co_spawn(io, tts.synthesize(TtsRequest{"你好", "", ""}, xz::test::recording_sink(got)),
                             asio::use_future);
  bool loop_free = false;
  asio::post(io, [&] { loop_free = true; });
  io.poll();
  EXPECT_TRUE(loop_free);
  EXPECT_TRUE(got.pcm.empty()) << "audio was made without a worker";
  release.set_value();
  io.restart();
  io.run();
  done.get();
  EXPECT_EQ(got.pcm.size(), xz::test::tiny_vits_tokens("你好").size() * xz::test::kTinyVitsSamplesPerToken);
}

// Each sentence's audio leaves as sherpa-onnx makes it (one model run per sentence); a
// sink that says stop ends the synthesis: nothing more arrives and no error is raised.
TEST(SherpaOnnxTts, SentencesArriveOneByOneAndASinkThatSaysStopEndsTheText) {
  asio::io_context io;
  asio::thread_pool pool(1);
  ProviderContext ctx{pool};
  SherpaOnnxTts tts(entry(), ctx);
  const std::string text = "你好。世界。你好。世界。";
  Received all;
  xz::test::run_synthesis(io, tts, TtsRequest{text, "", ""}, xz::test::recording_sink(all));
  std::printf("%zu chunks: ", all.chunk_sizes.size());
  for (auto n : all.chunk_sizes) std::printf("%zu ", n);
  std::printf("\n");
  EXPECT_GE(all.chunk_sizes.size(), 2u) << "the text's audio came in one piece";
  Received got;
  xz::test::run_synthesis(io, tts, TtsRequest{text, "", ""}, xz::test::recording_sink(got, [](int) { return false; }));
  EXPECT_EQ(got.chunk_sizes.size(), 1u);
  EXPECT_LT(got.pcm.size(), all.pcm.size());
}

// ---------------------------------------------------------------- configuration errors
TEST(SherpaOnnxTts, AModelDirWithoutAModelNamesTheDirectoryAndTheFilesExpected) {
  asio::thread_pool pool(1);
  ProviderContext ctx{pool};
  const auto empty = fresh_dir("empty");
  const std::string m = config_error(entry({{"model_dir", empty}}), ctx);
  EXPECT_TRUE(m.starts_with("model_dir: " + empty)) << m;
  EXPECT_NE(m.find("tokens.txt"), std::string::npos) << m;
  EXPECT_NE(m.find("lexicon.txt"), std::string::npos) << m;
  EXPECT_NE(m.find("README.md"), std::string::npos) << m;
  const std::string gone = config_error(entry({{"model_dir", empty + "/nothing"}}), ctx);
  EXPECT_NE(gone.find("no such directory"), std::string::npos) << gone;
  EXPECT_NE(config_error(entry({{"model_type", "tacotron"}}), ctx).find("vits, matcha, kokoro"), std::string::npos);
  EXPECT_NE(config_error(entry({{"model_type", "kokoro"}}), ctx).find("voices.bin"), std::string::npos);
  EXPECT_NE(config_error(entry({{"speed", 9}}), ctx).find("speed"), std::string::npos);
}

// sherpa-onnx would end the process on each of these; the engine refuses them first.
TEST(SherpaOnnxTts, WhatSherpaOnnxWouldExitOnIsRefusedWithAnError) {
  asio::thread_pool pool(1);
  ProviderContext ctx{pool};
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"n_speakers", ""}}, "lacks the metadata 'n_speakers'"},
      {{{"comment", ""}}, "lacks the metadata 'comment'"},
      {{{"add_blank", "-1"}}, "'add_blank' is negative"},
      {{{"jieba", "1"}}, "dict"},
      {{{"language", "Klingon"}}, "'language' is 'Klingon'"},
      {{{"comment", "melo"}, {"version", "1"}}, "MeloTTS"},
  };
  int n = 0;
  for (const auto& [changes, expected] : cases) {
    const auto dir = xz::test::write_tiny_vits(fresh_dir("bad" + std::to_string(n++)), changes).dir;
    const std::string m = config_error(entry({{"model_dir", dir}}), ctx);
    EXPECT_NE(m.find(expected), std::string::npos) << m;
  }
  // No lexicon for a lexicon model.
  auto dir = xz::test::write_tiny_vits(fresh_dir("no-lexicon"));
  fs::remove(dir.lexicon);
  EXPECT_NE(config_error(entry({{"model_dir", dir.dir}}), ctx).find("lexicon"), std::string::npos);
  // A tokens.txt line sherpa-onnx's reader cannot end on (Windows line ends).
  dir = xz::test::write_tiny_vits(fresh_dir("crlf"));
  std::ofstream(dir.tokens, std::ios::app) << "x 11\r\n";
  const std::string m = config_error(entry({{"model_dir", dir.dir}}), ctx);
  EXPECT_NE(m.find("line 12: something after the id"), std::string::npos) << m;
}

// Explicit files instead of model_dir.
TEST(SherpaOnnxTts, TheFilesCanBeGivenOneByOne) {
  asio::io_context io;
  asio::thread_pool pool(1);
  ProviderContext ctx{pool};
  const auto files = xz::test::write_tiny_vits(fresh_dir("explicit"));
  fs::rename(files.model, files.dir + "/voice-a.onnx");
  EngineConfig c = {{"type", "sherpa_onnx_local"}, {"model", files.dir + "/voice-a.onnx"}, {"tokens", files.tokens},
                    {"lexicon", files.lexicon}, {"num_threads", 1}};
  SherpaOnnxTts tts(c, ctx);
  Received got;
  xz::test::run_synthesis(io, tts, TtsRequest{"好", "", ""}, xz::test::recording_sink(got));
  expect_pcm_near(got.pcm, xz::test::tiny_vits_pcm(xz::test::tiny_vits_tokens("好"), 0, 1.0f));
}

// Issue 15, Deliver 6: Silero VAD, the SenseVoice ASR and this engine in one process,
// on one ONNX Runtime.
TEST(SherpaOnnxTts, SileroVadSenseVoiceAndVitsRunOnOneOnnxRuntime) {
  xz::core::Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  xz::providers::SileroVad vad(EngineConfig::object(), ctx);
  const auto sense_voice = xz::test::write_tiny_sense_voice(fresh_dir("sense-voice"));
  xz::providers::SherpaOnnxAsr asr(
      EngineConfig{{"model_dir", sense_voice.dir}, {"model_type", "sense_voice"}, {"num_threads", 1}}, ctx);
  SherpaOnnxTts tts(entry(), ctx);

  auto stream = vad.open();
  const auto speech = xz::test::concat({xz::test::silence(0.5), xz::test::flite_speech("hello there"),
                                        xz::test::silence(1.0)});
  const auto events = asio::co_spawn(rt.loop(0), stream->push(speech), asio::use_future).get();
  // Start and end of the speech (a pause before the end is reported too).
  const auto starts_and_ends = std::count_if(events.begin(), events.end(), [](const auto& e) {
    return e.kind == xz::providers::VadEvent::Kind::speech_start || e.kind == xz::providers::VadEvent::Kind::speech_end;
  });
  EXPECT_EQ(starts_and_ends, 2) << "Silero found no speech next to sherpa-onnx";
  auto heard = asio::co_spawn(
                   rt.loop(0),
                   [&]() -> xz::core::Task<std::string> {
                     auto s = co_await asr.open();
                     co_await s->push(xz::test::tone_speech("世界"));
                     co_return (co_await s->finish()).text;
                   }(),
                   asio::use_future)
                   .get();
  EXPECT_EQ(heard, "世界");
  Received got;
  asio::co_spawn(rt.loop(0), tts.synthesize(TtsRequest{"你好", "", ""}, xz::test::recording_sink(got)),
                 asio::use_future)
      .get();
  expect_pcm_near(got.pcm, xz::test::tiny_vits_pcm(xz::test::tiny_vits_tokens("你好"), 0, 1.0f));
  EXPECT_EQ(onnx_runtimes_loaded(), 1u);
}
