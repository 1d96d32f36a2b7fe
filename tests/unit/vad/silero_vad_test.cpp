#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <latch>
#include <stdexcept>

#include <time.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "providers/vad/silero_model.h"
#include "providers/vad/silero_vad.h"
#include "support/speech.h"
#include "unit/vad/vad_test_util.h"
#include "build_paths.h"

using namespace std::chrono_literals;
using xz::core::Runtime;
using xz::core::Task;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using xz::providers::SileroModel;
using xz::providers::SileroVad;
using xz::providers::VadEvent;
using xz::test::feed;
using xz::test::ms;
using xz::test::run_on;

namespace {

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

constexpr auto kStart = VadEvent::Kind::speech_start;
constexpr auto kEnd = VadEvent::Kind::speech_end;

const std::vector<std::int16_t>& sentence() {
  static const auto pcm = xz::test::flite_speech("what is the weather like today");
  return pcm;
}

// 1 s silence + speech + 1 s silence.
const std::vector<std::int16_t>& utterance() {
  static const auto pcm = xz::test::concat({xz::test::silence(1.0), sentence(), xz::test::silence(1.0)});
  return pcm;
}

class SileroVadTest : public ::testing::Test {
 protected:
  SileroVadTest() { rt.start(); }
  std::vector<VadEvent> detect(const std::vector<std::int16_t>& pcm, std::size_t chunk) {
    auto s = vad.open();
    return run_on(rt, feed(*s, pcm, chunk));
  }

  Runtime rt{1, 2};
  ProviderContext ctx{rt.pool()};
  SileroVad vad{EngineConfig::object(), ctx};
};

}  // namespace

TEST_F(SileroVadTest, FindsOneSegmentWhereTheSpeechIs) {
  auto events = detect(utterance(), 960);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, kStart);
  EXPECT_EQ(events[1].kind, kEnd);

  auto [first, last] = xz::test::loud_span(sentence());
  const auto truth_start = static_cast<std::int64_t>(16000 + first);
  const auto truth_end = static_cast<std::int64_t>(16000 + last);
  const auto start = static_cast<std::int64_t>(events[0].sample);
  // speech_end is decided min_silence_duration_ms after the last voice.
  const auto end = static_cast<std::int64_t>(events[1].sample - vad.options().min_silence_samples);
  std::printf("truth %.0f-%.0f ms, detected start %.0f ms, end %.0f ms (+%.0f ms silence)\n", ms(truth_start),
              ms(truth_end), ms(start), ms(end), ms(static_cast<std::int64_t>(vad.options().min_silence_samples)));
  EXPECT_NEAR(ms(start), ms(truth_start), 300);
  EXPECT_NEAR(ms(end), ms(truth_end), 300);
}

TEST_F(SileroVadTest, PureToneIsNotSpeech) {
  EXPECT_TRUE(detect(xz::test::tone(3.0, 440), 960).empty());
}

TEST_F(SileroVadTest, SilenceIsNotSpeech) {
  EXPECT_TRUE(detect(xz::test::silence(3.0), 960).empty());
}

// Silent packets (most of a device's uplink, DTX) are decided without the worker pool;
// sound still needs it.
TEST_F(SileroVadTest, SilenceIsDecidedWithoutThePool) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::latch busy(2);
  for (int i = 0; i < 2; ++i)  // every worker of the pool waits for the test
    boost::asio::post(rt.pool(), [&busy, released] {
      busy.count_down();
      released.wait();
    });
  busy.wait();
  auto quiet = std::async(std::launch::async, [&] { return detect(xz::test::silence(2.0), 960); });
  const bool quiet_done = quiet.wait_for(10s) == std::future_status::ready;
  auto s = vad.open();
  auto sound = std::async(std::launch::async, [&] { return run_on(rt, feed(*s, xz::test::tone(0.5, 440), 960)); });
  const bool sound_waited = sound.wait_for(200ms) == std::future_status::timeout;
  release.set_value();
  EXPECT_TRUE(quiet_done) << "silence waited for the pool";
  EXPECT_TRUE(quiet.get().empty());
  EXPECT_TRUE(sound_waited) << "sound was decided without the model";
  EXPECT_TRUE(sound.get().empty());
}

TEST_F(SileroVadTest, ChunkSizeDoesNotChangeTheEvents) {
  auto reference = detect(utterance(), 960);
  ASSERT_EQ(reference.size(), 2u);
  for (std::size_t chunk : {333u, 512u, 1u << 20}) {
    auto events = detect(utterance(), chunk);
    ASSERT_EQ(events.size(), reference.size()) << "chunk " << chunk;
    for (std::size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].kind, reference[i].kind) << "chunk " << chunk;
      EXPECT_EQ(events[i].sample, reference[i].sample) << "chunk " << chunk;
    }
  }
}

TEST_F(SileroVadTest, InterleavedStreamsDoNotDisturbEachOther) {
  // Stream b hears the sentence 1.5 s later than stream a, and tone before it.
  const auto other = xz::test::concat({xz::test::tone(1.5, 440), utterance()});
  const auto solo_a = detect(utterance(), 960);
  const auto solo_b = detect(other, 960);
  ASSERT_EQ(solo_a.size(), 2u);
  ASSERT_EQ(solo_b.size(), 2u);
  ASSERT_NE(solo_a[0].sample, solo_b[0].sample);

  auto a = vad.open();
  auto b = vad.open();
  auto [ea, eb] = run_on(rt, [&]() -> Task<std::pair<std::vector<VadEvent>, std::vector<VadEvent>>> {
    std::vector<VadEvent> ea, eb;
    const std::size_t n = std::max(utterance().size(), other.size());
    for (std::size_t at = 0; at < n; at += 960) {
      for (auto [s, pcm, out] : {std::tuple{a.get(), &utterance(), &ea}, std::tuple{b.get(), &other, &eb}}) {
        if (at >= pcm->size()) continue;
        auto end = std::min(at + 960, pcm->size());
        auto ev = xz::test::only_start_end(
            co_await s->push(std::vector<std::int16_t>(pcm->begin() + at, pcm->begin() + end)));
        out->insert(out->end(), ev.begin(), ev.end());
      }
    }
    co_return std::pair{ea, eb};
  }());
  ASSERT_EQ(ea.size(), solo_a.size());
  ASSERT_EQ(eb.size(), solo_b.size());
  for (std::size_t i = 0; i < ea.size(); ++i) EXPECT_EQ(ea[i].sample, solo_a[i].sample);
  for (std::size_t i = 0; i < eb.size(); ++i) EXPECT_EQ(eb[i].sample, solo_b[i].sample);
}

TEST_F(SileroVadTest, APauseInsideASentenceIsReportedAndResumed) {
  // Two halves of a sentence 150 ms apart: with the default speculative_silence_ms (100)
  // and min_silence_duration_ms (200) the gap is a pause, not an end.
  // flite's own quiet at both ends trimmed: the gap is the one put between them.
  auto [first, last] = xz::test::loud_span(sentence(), 300);
  const std::vector<std::int16_t> half(sentence().begin() + static_cast<std::ptrdiff_t>(first),
                                       sentence().begin() + static_cast<std::ptrdiff_t>(last));
  const auto pcm = xz::test::concat({xz::test::silence(0.5), half, xz::test::silence(0.15), half, xz::test::silence(1.0)});
  auto s = vad.open();
  auto ev = run_on(rt, feed(*s, pcm, 960, true));
  std::vector<VadEvent::Kind> kinds;
  for (const auto& e : ev) kinds.push_back(e.kind);
  ASSERT_GE(kinds.size(), 4u);
  EXPECT_EQ(kinds.front(), kStart);
  EXPECT_EQ(kinds.back(), kEnd);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), kEnd), 1) << "the gap must not end the utterance";
  EXPECT_GE(std::count(kinds.begin(), kinds.end(), VadEvent::Kind::resume), 1);
  // Every resume follows a pause, and a pause comes right before the end.
  EXPECT_EQ(kinds[kinds.size() - 2], VadEvent::Kind::pause);
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    if (kinds[i] == VadEvent::Kind::resume) {
      EXPECT_EQ(kinds[i - 1], VadEvent::Kind::pause);
    }
  }

  // speculative_silence_ms 0 (or not shorter than the endpoint) turns them off.
  for (auto cfg : {EngineConfig{{"speculative_silence_ms", 0}}, EngineConfig{{"speculative_silence_ms", 200}}}) {
    SileroVad off(cfg, ctx);
    auto so = off.open();
    auto evo = run_on(rt, feed(*so, pcm, 960, true));
    ASSERT_EQ(evo.size(), 2u) << cfg.dump();
  }
}

TEST_F(SileroVadTest, InSpeechFollowsTheEventsAndResetStartsOver) {
  auto s = vad.open();
  auto [first, last] = xz::test::loud_span(sentence());
  // Up to the middle of the sentence: speech has started, not ended.
  const std::vector<std::int16_t> head(utterance().begin(), utterance().begin() + 16000 + (first + last) / 2);
  auto ev = run_on(rt, feed(*s, head, 960));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, kStart);
  EXPECT_TRUE(s->in_speech());

  s->reset();
  EXPECT_FALSE(s->in_speech());
  // After reset the stream behaves like a new one: positions count from zero again.
  auto again = run_on(rt, feed(*s, utterance(), 960));
  auto fresh = detect(utterance(), 960);
  ASSERT_EQ(again.size(), fresh.size());
  for (std::size_t i = 0; i < again.size(); ++i) EXPECT_EQ(again[i].sample, fresh[i].sample);
  EXPECT_FALSE(s->in_speech());
}

TEST_F(SileroVadTest, LongPushRunsOffTheLoop) {
  // ~64 s of audio is ~2000 windows (~0.2 s of inference); a 5 ms timer on the same
  // loop must still fire on time.
  std::vector<std::vector<std::int16_t>> parts(16, utterance());
  const auto big = xz::test::concat(parts);
  auto s = vad.open();
  auto [late, events] = run_on(rt, [&]() -> Task<std::pair<xz::core::Clock::duration, std::size_t>> {
    auto ex = co_await boost::asio::this_coro::executor;
    auto job = boost::asio::co_spawn(ex, s->push(big), boost::asio::use_awaitable);
    auto t0 = xz::core::Clock::now();
    co_await xz::core::sleep_for(5ms);
    auto late = xz::core::Clock::now() - t0 - 5ms;
    auto ev = co_await std::move(job);
    co_return std::pair{late, xz::test::only_start_end(ev).size()};
  }());
  EXPECT_EQ(events, 32u) << "16 utterances, one start and one end each";
  EXPECT_LT(late, 50ms);
}

TEST_F(SileroVadTest, OverlappingPushOnOneStreamIsAnError) {
  namespace asio = boost::asio;
  auto s = vad.open();
  // Both start on one loop thread, in order: the first runs until it waits for the pool,
  // then the second must refuse to race it. wait_for_all: nothing is cancelled.
  auto [order, e1, ev1, e2, ev2] = run_on(rt, [&]() -> Task<std::tuple<std::array<std::size_t, 2>, std::exception_ptr,
                                                                       std::vector<VadEvent>, std::exception_ptr,
                                                                       std::vector<VadEvent>>> {
    auto ex = co_await asio::this_coro::executor;
    co_return co_await asio::experimental::make_parallel_group(
        asio::co_spawn(ex, s->push(utterance()), asio::deferred),
        asio::co_spawn(ex, s->push(utterance()), asio::deferred))
        .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  }());
  EXPECT_FALSE(e1);
  EXPECT_EQ(xz::test::only_start_end(ev1).size(), 2u);
  ASSERT_TRUE(e2);
  EXPECT_THROW(std::rethrow_exception(e2), std::logic_error);
  // Once the first is done, the stream takes audio again.
  s->reset();
  EXPECT_EQ(run_on(rt, feed(*s, utterance(), 960)).size(), 2u);
}

TEST_F(SileroVadTest, ReportsPerWindowCost) {
  // The model's own cost (thread CPU time, robust to a busy machine), then wall time
  // through a stream (includes the hop to the pool and back).
  const auto audio = xz::test::concat({utterance(), utterance(), utterance(), utterance()});
  const double windows = static_cast<double>(audio.size() / SileroModel::kWindow);
  SileroModel model(XZ_THIRD_PARTY_DIR "/models/silero_vad.onnx");
  SileroModel::State state;
  const double c0 = thread_cpu_seconds();
  auto probs = model.run(state, audio);
  const double cpu_us = (thread_cpu_seconds() - c0) * 1e6 / windows;
  ASSERT_EQ(probs.size(), static_cast<std::size_t>(windows));

  auto s = vad.open();
  auto t0 = std::chrono::steady_clock::now();
  run_on(rt, feed(*s, audio, 960));
  const double wall_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / windows;
  std::printf("silero: %.0f windows; %.0f us CPU per 32 ms window (RTF %.4f); %.0f us wall per window via 60 ms pushes\n",
              windows, cpu_us, cpu_us / 32000.0, wall_us);
  RecordProperty("cpu_us_per_window", static_cast<int>(cpu_us));
  EXPECT_LT(cpu_us, 32000.0) << "slower than real time";
}

TEST(SileroVadConfig, BadSettingsAreConfigErrors) {
  Runtime rt{1, 1};
  ProviderContext ctx{rt.pool()};
  auto make = [&](EngineConfig cfg) { SileroVad v(cfg, ctx); };
  EXPECT_THROW(make({{"model_path", "/nonexistent/silero.onnx"}}), EngineConfigError);
  EXPECT_THROW(make({{"threshold", "high"}}), EngineConfigError);
  EXPECT_THROW(make({{"threshold", 1.5}}), EngineConfigError);
  EXPECT_THROW(make({{"threshold", 0.4}, {"threshold_low", 0.6}}), EngineConfigError);
  EXPECT_THROW(make({{"min_silence_duration_ms", -1}}), EngineConfigError);
  EXPECT_THROW(make({{"speculative_silence_ms", -1}}), EngineConfigError);
  EXPECT_THROW(make({{"speculative_silence_ms", "soon"}}), EngineConfigError);
  EXPECT_NO_THROW(make({{"threshold", "0.6"}, {"min_silence_duration_ms", 500}, {"model_path", ""}}));

  auto junk = std::filesystem::temp_directory_path() / ("xz_silero_junk_" + std::to_string(::getpid()) + ".onnx");
  std::ofstream(junk) << "not a model";
  try {
    make({{"model_path", junk.string()}});
    ADD_FAILURE() << "a junk model loaded";
  } catch (const EngineConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(junk.string()), std::string::npos) << e.what();
  }
  std::filesystem::remove(junk);
}

TEST(SileroVadConfig, MinSilenceIsReadInMilliseconds) {
  Runtime rt{1, 1};
  ProviderContext ctx{rt.pool()};
  SileroVad v({{"min_silence_duration_ms", 500}, {"threshold", 0.6}, {"threshold_low", 0.2}}, ctx);
  EXPECT_EQ(v.options().min_silence_samples, 8000u);
  EXPECT_DOUBLE_EQ(v.options().threshold, 0.6);
  EXPECT_DOUBLE_EQ(v.options().threshold_low, 0.2);
}
