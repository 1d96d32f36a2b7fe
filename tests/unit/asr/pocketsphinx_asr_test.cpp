#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <time.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"
#include "providers/asr/pocketsphinx_asr.h"
#include "support/speech.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using xz::core::Runtime;
using xz::core::Task;
using xz::providers::AsrStream;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::PocketsphinxAsr;
using xz::providers::ProviderContext;

namespace {

template <class T>
T run_on(Runtime& rt, Task<T> task, std::size_t loop = 0) {
  return asio::co_spawn(rt.loop(loop), std::move(task), asio::use_future).get();
}

// Streams pcm in 60 ms chunks, as the device sends it.
Task<void> push_all(AsrStream& s, const std::vector<std::int16_t>& pcm) {
  for (std::size_t at = 0; at < pcm.size(); at += 960) {
    const std::size_t end = std::min(at + 960, pcm.size());
    co_await s.push(std::vector<std::int16_t>(pcm.begin() + at, pcm.begin() + end));
  }
}

Task<std::string> transcribe(PocketsphinxAsr& asr, std::vector<std::int16_t> pcm) {
  auto s = co_await asr.open();
  co_await push_all(*s, pcm);
  co_return (co_await s->finish()).text;
}

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

bool has_word(const std::string& text, const std::string& word) {
  return (" " + text + " ").find(" " + word + " ") != std::string::npos;
}

void expect_words(const std::string& text, std::initializer_list<const char*> words) {
  for (const char* w : words) EXPECT_TRUE(has_word(text, w)) << "'" << w << "' missing in: " << text;
}

}  // namespace

TEST(PocketsphinxAsr, TranscribesFliteSpeechAndReportsRtf) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  PocketsphinxAsr asr({{"decoders", 2}}, ctx);
  const auto pcm = xz::test::flite_speech("what is the weather like today");
  const double audio_s = static_cast<double>(pcm.size()) / 16000.0;

  // Process CPU time is what decoding costs; wall time also counts a busy machine.
  const double cpu0 = process_cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  auto text = run_on(rt, transcribe(asr, pcm));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = process_cpu_seconds() - cpu0;
  std::printf("pocketsphinx: \"%s\"; %.2f s of audio: CPU %.3f s (RTF %.3f), wall %.3f s in 60 ms pushes\n",
              text.c_str(), audio_s, cpu, cpu / audio_s, wall);
  RecordProperty("cpu_rtf_x1000", static_cast<int>(cpu / audio_s * 1000));
  expect_words(text, {"what", "is", "the", "weather", "like", "today"});
}

TEST(PocketsphinxAsr, ThreeStreamsAtOnceEachGetTheirOwnSentence) {
  Runtime rt(2, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  PocketsphinxAsr asr({{"decoders", 3}}, ctx);
  const std::vector<std::string> sentences{"what is the weather like today", "what time is it",
                                           "set an alarm for seven in the morning"};
  std::vector<std::vector<std::int16_t>> audio;
  for (auto& s : sentences) audio.push_back(xz::test::flite_speech(s));

  // Three sessions, on two loops, all speaking at the same time.
  std::vector<std::future<std::string>> results;
  for (std::size_t i = 0; i < audio.size(); ++i)
    results.push_back(asio::co_spawn(rt.loop(i % 2), transcribe(asr, audio[i]), asio::use_future));
  std::vector<std::string> texts;
  for (auto& f : results) texts.push_back(f.get());

  EXPECT_EQ(asr.live_decoders(), 3u) << "three streams at once need three decoders";
  expect_words(texts[0], {"weather", "today"});
  expect_words(texts[1], {"time", "is", "it"});
  expect_words(texts[2], {"alarm", "seven", "morning"});
  EXPECT_FALSE(has_word(texts[1], "weather") || has_word(texts[2], "weather")) << texts[1] << " / " << texts[2];
  EXPECT_FALSE(has_word(texts[0], "alarm") || has_word(texts[1], "alarm")) << texts[0] << " / " << texts[1];
}

TEST(PocketsphinxAsr, PoolOfOneMakesTheSecondOpenWaitForTheFirstStream) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  PocketsphinxAsr asr({{"decoders", 1}}, ctx);
  const auto first_audio = xz::test::flite_speech("what time is it");
  const auto second_audio = xz::test::flite_speech("what is the weather like today");

  auto [order, second_text] = run_on(rt, [&]() -> Task<std::pair<std::vector<std::string>, std::string>> {
    auto ex = co_await asio::this_coro::executor;
    std::vector<std::string> order;
    auto first = co_await asr.open();
    order.push_back("first opened");

    xz::core::Event second_done(ex);
    std::string second_text;
    asio::co_spawn(ex, [&]() -> Task<void> {
      auto second = co_await asr.open();
      order.push_back("second opened");
      co_await push_all(*second, second_audio);
      second_text = (co_await second->finish()).text;
      second_done.set();
    }, asio::detached);

    // Real work on the pool meanwhile: the second open() had every chance to finish.
    co_await push_all(*first, first_audio);
    auto r = co_await first->finish();
    EXPECT_TRUE(has_word(r.text, "time")) << r.text;
    order.push_back("first released");
    first.reset();
    co_await second_done.wait();
    co_return std::pair{order, second_text};
  }());
  EXPECT_EQ(order, (std::vector<std::string>{"first opened", "first released", "second opened"}));
  expect_words(second_text, {"weather", "today"});
  EXPECT_EQ(asr.live_decoders(), 1u);
}

TEST(PocketsphinxAsr, AbandonedStreamReturnsItsDecoderClean) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  PocketsphinxAsr asr({{"decoders", 1}}, ctx);
  const auto half = xz::test::flite_speech("set an alarm for seven in the morning");
  run_on(rt, [&]() -> Task<void> {
    auto s = co_await asr.open();
    co_await push_all(*s, half);  // then dropped without finish()
  }());
  // The only decoder is back, and its half-finished utterance does not leak into this one.
  auto text = run_on(rt, transcribe(asr, xz::test::flite_speech("what time is it")));
  expect_words(text, {"what", "time", "is", "it"});
  EXPECT_FALSE(has_word(text, "alarm") || has_word(text, "morning")) << text;
}

TEST(PocketsphinxAsr, WaitingOpenCanBeCancelled) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  PocketsphinxAsr asr({{"decoders", 1}}, ctx);
  auto [timed_out, reopened] = run_on(rt, [&]() -> Task<std::pair<bool, bool>> {
    auto held = co_await asr.open();
    auto waited = co_await xz::core::with_timeout(asr.open(), 50ms);
    held.reset();
    // The cancelled waiter left nothing behind: the released decoder is free again.
    auto again = co_await xz::core::with_timeout(asr.open(), 5s);
    co_return std::pair{!waited.has_value(), again.has_value()};
  }());
  EXPECT_TRUE(timed_out);
  EXPECT_TRUE(reopened);
}

TEST(PocketsphinxAsr, FinishWithoutAudioIsEmptyAndStreamIsReusable) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  PocketsphinxAsr asr({{"decoders", 1}}, ctx);
  auto [empty, text] = run_on(rt, [&]() -> Task<std::pair<std::string, std::string>> {
    auto s = co_await asr.open();
    auto e = co_await s->finish();
    co_await push_all(*s, xz::test::flite_speech("what time is it"));
    auto r = co_await s->finish();
    co_return std::pair{e.text, r.text};
  }());
  EXPECT_EQ(empty, "");
  expect_words(text, {"time"});
}

TEST(PocketsphinxAsr, DecodersAreCreatedLazilyUpToTheLimit) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  PocketsphinxAsr asr({{"decoders", 2}}, ctx);
  EXPECT_EQ(asr.max_decoders(), 2u);
  EXPECT_EQ(asr.live_decoders(), 1u) << "one at construction";
  run_on(rt, [&]() -> Task<void> {
    auto a = co_await asr.open();
    EXPECT_EQ(asr.live_decoders(), 1u) << "the idle one is reused";
    auto b = co_await asr.open();
    EXPECT_EQ(asr.live_decoders(), 2u);
  }());
  run_on(rt, [&]() -> Task<void> {
    auto a = co_await asr.open();
    auto b = co_await asr.open();
    EXPECT_EQ(asr.live_decoders(), 2u) << "released decoders are reused";
  }());
}

TEST(PocketsphinxAsr, DefaultPoolIsTwicePerCore) {
  Runtime rt(1, 1);
  ProviderContext ctx{rt.pool()};
  PocketsphinxAsr asr(EngineConfig::object(), ctx);
  EXPECT_EQ(asr.max_decoders(), 2 * std::max(1u, std::thread::hardware_concurrency()));
}

TEST(PocketsphinxAsr, BadModelPathsAreConfigErrors) {
  Runtime rt(1, 1);
  ProviderContext ctx{rt.pool()};
  auto make = [&](EngineConfig cfg) { PocketsphinxAsr a(cfg, ctx); };
  EXPECT_THROW(make({{"hmm", "/nonexistent/en-us"}}), EngineConfigError);
  EXPECT_THROW(make({{"hmm", "/usr/share/pocketsphinx/model/en-us"}}), EngineConfigError);
  EXPECT_THROW(make({{"lm", "/nonexistent/en-us.lm.bin"}}), EngineConfigError);
  EXPECT_THROW(make({{"dict", "/nonexistent/cmudict.dict"}}), EngineConfigError);
  EXPECT_THROW(make({{"decoders", 0}}), EngineConfigError);
  EXPECT_THROW(make({{"decoders", "many"}}), EngineConfigError);
  EXPECT_THROW(make({{"hmm", 42}}), EngineConfigError);
  // Files that exist but are not what they claim: pocketsphinx itself refuses them.
  try {
    make({{"lm", "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"}});
    ADD_FAILURE() << "a dictionary loaded as a language model";
  } catch (const EngineConfigError& e) {
    std::printf("bad lm: %s\n", e.what());
    EXPECT_NE(std::string(e.what()).find("pocketsphinx"), std::string::npos);
  }
}
