#include "providers/tts/openai_tts.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"
#include "support/fake_openai.h"
#include "support/speech.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using nlohmann::json;
using xz::core::Clock;
using xz::core::Runtime;
using xz::core::Task;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::OpenAiTts;
using xz::providers::PcmChunk;
using xz::providers::ProviderContext;
using xz::providers::TtsRequest;
using xz::test::FakeOpenAi;

namespace {

struct Heard {
  std::vector<std::int16_t> samples;
  std::vector<int> rates;
  std::size_t chunks = 0;
  std::string error;
};

class OpenAiTtsTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }

  EngineConfig config() const {
    return {{"type", "openai"}, {"api_url", fake.url() + "/audio/speech"}, {"api_key", "sk-tts"},
            {"model", "tts-1"},  {"voice", "onyx"},                          {"speed", 1.25}};
  }

  // `stop_after` chunks, then the sink says stop (0 = never).
  Heard speak(OpenAiTts& tts, TtsRequest req, std::size_t stop_after = 0) {
    return asio::co_spawn(rt.loop(0), [&]() -> Task<Heard> {
      Heard h;
      try {
        xz::providers::PcmSink sink = [&](PcmChunk c) -> Task<bool> {
          h.samples.insert(h.samples.end(), c.samples.begin(), c.samples.end());
          h.rates.push_back(c.sample_rate);
          ++h.chunks;
          co_return stop_after == 0 || h.chunks < stop_after;
        };
        co_await tts.synthesize(std::move(req), std::move(sink));
      } catch (const std::exception& e) {
        h.error = e.what();
      }
      co_return h;
    }(), asio::use_future).get();
  }

  Runtime rt{1, 1};
  ProviderContext ctx{rt.pool()};
  FakeOpenAi fake;
};

std::vector<std::int16_t> ramp(std::size_t n) {
  std::vector<std::int16_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::int16_t>((i * 37) % 60000 - 30000);
  return v;
}

}  // namespace

TEST_F(OpenAiTtsTest, PcmStreamsInChunksWithOddByteSplits) {
  auto pcm = ramp(24000);  // 1 s
  fake.set_speech(pcm);
  fake.set_speech_chunking(4801, 0ms);  // odd: every chunk splits a sample
  OpenAiTts tts(config(), ctx);
  auto h = speak(tts, {.text = "Hello there.", .voice = "", .language = "en"});
  ASSERT_EQ(h.error, "");
  EXPECT_EQ(h.samples, pcm) << "samples lost or corrupted across odd chunk boundaries";
  EXPECT_GE(h.chunks, 5u);
  for (int r : h.rates) EXPECT_EQ(r, 24000);

  auto seen = fake.last_request();
  EXPECT_EQ(seen.path, "/v1/audio/speech");
  EXPECT_EQ(seen.headers["authorization"], "Bearer sk-tts");
  EXPECT_EQ(seen.json, (json{{"model", "tts-1"}, {"input", "Hello there."}, {"voice", "onyx"}, {"speed", 1.25},
                             {"response_format", "pcm"}}));
}

TEST_F(OpenAiTtsTest, FirstChunkArrivesBeforeTheBodyEnds) {
  fake.set_speech(ramp(24000));
  fake.set_speech_chunking(4800, 60ms);  // 10 chunks, 0.54 s in total
  OpenAiTts tts(config(), ctx);
  Clock::time_point first{}, last{};
  auto h = asio::co_spawn(rt.loop(0), [&]() -> Task<std::size_t> {
    std::size_t n = 0;
    xz::providers::PcmSink sink = [&](PcmChunk) -> Task<bool> {
      if (n++ == 0) first = Clock::now();
      last = Clock::now();
      co_return true;
    };
    // Built outside the co_await: g++ 12 mishandles temporaries made from literals there.
    TtsRequest req{.text = "Streaming.", .voice = "", .language = ""};
    co_await tts.synthesize(std::move(req), std::move(sink));
    co_return n;
  }(), asio::use_future).get();
  EXPECT_GE(h, 10u);
  EXPECT_GT(last - first, 400ms) << "chunks were delivered only after the whole body arrived";
}

TEST_F(OpenAiTtsTest, WavAnswersAreParsedWhileStreaming) {
  auto pcm = ramp(12000);
  fake.set_speech(pcm);
  fake.set_speech_chunking(7, 0ms);  // the header itself arrives in 7-byte pieces
  auto cfg = config();
  cfg["response_format"] = "wav";
  OpenAiTts tts(cfg, ctx);
  auto h = speak(tts, {.text = "Wave.", .voice = "shimmer", .language = ""});
  ASSERT_EQ(h.error, "");
  EXPECT_EQ(h.samples, pcm);
  for (int r : h.rates) EXPECT_EQ(r, 24000);
  EXPECT_EQ(fake.last_request().json["response_format"], "wav");
  EXPECT_EQ(fake.last_request().json["voice"], "shimmer");  // the request's voice wins
}

TEST_F(OpenAiTtsTest, DefaultFakeVoiceIsRealSpeech) {
  OpenAiTts tts(config(), ctx);
  auto h = speak(tts, {.text = "This is a test sentence.", .voice = "", .language = "en"});
  ASSERT_EQ(h.error, "");
  EXPECT_GT(h.samples.size(), 24000u / 2);  // flite speaks it in well over half a second
  int peak = 0;
  for (auto s : h.samples) peak = std::max(peak, std::abs(static_cast<int>(s)));
  EXPECT_GT(peak, 1000);
}

TEST_F(OpenAiTtsTest, SinkCanStopTheSynthesis) {
  fake.set_speech(ramp(48000));
  fake.set_speech_chunking(4800, 30ms);
  OpenAiTts tts(config(), ctx);
  auto start = Clock::now();
  auto h = speak(tts, {.text = "Long sentence.", .voice = "", .language = ""}, 1);
  EXPECT_EQ(h.error, "");
  EXPECT_EQ(h.chunks, 1u);
  EXPECT_LT(Clock::now() - start, 300ms);
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s));
}

TEST_F(OpenAiTtsTest, EmptyTextSynthesizesNothing) {
  OpenAiTts tts(config(), ctx);
  auto h = speak(tts, {.text = "  \n", .voice = "", .language = ""});
  EXPECT_EQ(h.error, "");
  EXPECT_EQ(h.chunks, 0u);
  EXPECT_EQ(fake.request_count(), 0u);
}

TEST_F(OpenAiTtsTest, ApiErrorsAreReadable) {
  fake.fail_next(400, R"({"error":{"message":"Input too long"}})");
  OpenAiTts tts(config(), ctx);
  auto h = speak(tts, {.text = "x", .voice = "", .language = ""});
  EXPECT_NE(h.error.find("HTTP 400"), std::string::npos) << h.error;
  EXPECT_NE(h.error.find("Input too long"), std::string::npos) << h.error;
}

TEST_F(OpenAiTtsTest, ConfigIsValidated) {
  auto bad_format = config();
  bad_format["response_format"] = "mp3";
  try {
    OpenAiTts tts(bad_format, ctx);
    FAIL() << "mp3 accepted";
  } catch (const EngineConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "response_format: 'mp3' is not supported (pcm or wav)");
  }
  auto no_url = config();
  no_url.erase("api_url");
  EXPECT_THROW((OpenAiTts{no_url, ctx}), EngineConfigError);
  auto bad_speed = config();
  bad_speed["speed"] = 9;
  EXPECT_THROW((OpenAiTts{bad_speed, ctx}), EngineConfigError);
}

// The reference's OpenAITTS entry: `format` names the audio (the reference always asks
// for WAV), `private_voice` is the manager's per-agent voice and wins over `voice`.
TEST_F(OpenAiTtsTest, ReferenceFormatKeyAsksForWavAndPrivateVoiceWins) {
  auto pcm = ramp(4800);
  fake.set_speech(pcm);
  for (const char* format : {"wav", "mp3"}) {
    auto cfg = config();
    cfg["format"] = format;
    cfg["private_voice"] = "nova";
    OpenAiTts tts(cfg, ctx);
    auto h = speak(tts, {.text = "Hello.", .voice = "", .language = ""});
    ASSERT_EQ(h.error, "") << format;
    EXPECT_EQ(h.samples, pcm) << format;
    EXPECT_EQ(fake.last_request().json["response_format"], "wav") << format;
    EXPECT_EQ(fake.last_request().json["voice"], "nova") << format;
  }
  auto cfg = config();
  cfg["format"] = "pcm";
  OpenAiTts tts(cfg, ctx);
  auto h = speak(tts, {.text = "Hello.", .voice = "", .language = ""});
  ASSERT_EQ(h.error, "");
  EXPECT_EQ(h.samples, pcm);
  EXPECT_EQ(fake.last_request().json["response_format"], "pcm");
  EXPECT_EQ(fake.last_request().json["voice"], "onyx");

  cfg["format"] = "ogg";
  try {
    OpenAiTts bad(cfg, ctx);
    ADD_FAILURE() << "format ogg accepted";
  } catch (const EngineConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "format: 'ogg' is not supported (pcm, wav, mp3, opus, aac or flac)");
  }
}
