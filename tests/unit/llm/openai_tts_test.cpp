#include "providers/tts/openai_tts.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"
#include "audio/resampler.h"
#include "support/encoded_audio.h"
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
  bad_format["response_format"] = "ogg";  // not one of the API's names
  try {
    OpenAiTts tts(bad_format, ctx);
    FAIL() << "ogg accepted";
  } catch (const EngineConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "response_format: 'ogg' is not supported (mp3, opus, aac, flac, wav or pcm)");
  }
  auto no_url = config();
  no_url.erase("api_url");
  EXPECT_THROW((OpenAiTts{no_url, ctx}), EngineConfigError);
  auto bad_speed = config();
  bad_speed["speed"] = 9;
  EXPECT_THROW((OpenAiTts{bad_speed, ctx}), EngineConfigError);
}

// The reference's OpenAITTS entry: `format` is the response_format asked for,
// `private_voice` is the manager's per-agent voice and wins over `voice`.
TEST_F(OpenAiTtsTest, ReferenceFormatKeyAsksForThatFormatAndPrivateVoiceWins) {
  auto pcm = ramp(4800);
  fake.set_speech(pcm);
  for (const char* format : {"wav", "pcm"}) {
    auto cfg = config();
    cfg["format"] = format;
    cfg["private_voice"] = "nova";
    OpenAiTts tts(cfg, ctx);
    auto h = speak(tts, {.text = "Hello.", .voice = "", .language = ""});
    ASSERT_EQ(h.error, "") << format;
    EXPECT_EQ(h.samples, pcm) << format;
    EXPECT_EQ(fake.last_request().json["response_format"], format);
    EXPECT_EQ(fake.last_request().json["voice"], "nova") << format;
  }
  auto cfg = config();
  cfg["format"] = "mp3";
  cfg["response_format"] = "flac";  // the API's own key wins
  OpenAiTts tts(cfg, ctx);
  auto h = speak(tts, {.text = "Hello.", .voice = "", .language = ""});
  ASSERT_EQ(h.error, "");
  EXPECT_EQ(h.samples, pcm) << "FLAC is lossless";
  EXPECT_EQ(fake.last_request().json["response_format"], "flac");
  EXPECT_EQ(fake.last_request().json["voice"], "onyx");

  cfg.erase("response_format");
  cfg["format"] = "ogg";
  try {
    OpenAiTts bad(cfg, ctx);
    ADD_FAILURE() << "format ogg accepted";
  } catch (const EngineConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "format: 'ogg' is not supported (mp3, opus, aac, flac, wav or pcm)");
  }
}

// Every response_format of the API, from bytes real encoders made, matches the voice.
TEST_F(OpenAiTtsTest, EveryResponseFormatIsDecoded) {
  const auto voice = xz::test::chirp(1.0, 24000);
  fake.set_speech(voice);
  fake.set_speech_chunking(999, 0ms);
  for (const char* format : {"mp3", "opus", "aac", "flac", "wav", "pcm"}) {
    auto cfg = config();
    cfg["response_format"] = format;
    OpenAiTts tts(cfg, ctx);
    auto h = speak(tts, {.text = "A sweep.", .voice = "", .language = ""});
    ASSERT_EQ(h.error, "") << format;
    EXPECT_EQ(fake.last_request().json["response_format"], format);
    // Opus answers come at the OpusHead's rate (the fake's encoder says 48 kHz).
    const int rate = std::string(format) == "opus" ? 48000 : 24000;
    for (int r : h.rates) EXPECT_EQ(r, rate) << format;
    auto heard = rate == 24000 ? h.samples : xz::audio::resample_once(h.samples, rate, 24000);
    // Lossy codecs add their delay and padding: at most 3 frames of AAC.
    EXPECT_GE(heard.size() + 200, voice.size()) << format;
    EXPECT_LE(heard.size(), voice.size() + 3 * 1024) << format;
    auto match = xz::test::best_match(voice, heard, 3000);
    EXPECT_GT(match.correlation, 0.8) << format << " (lag " << match.lag << ")";
    EXPECT_GE(h.chunks, 2u) << format << ": decoded as the body arrived, not once at its end";
  }
}

// Issue 15: an mp3 answer is decoded while it arrives; the first PCM reaches the sink
// before the vendor has sent its last chunk.
TEST_F(OpenAiTtsTest, Mp3FirstPcmBeforeTheLastChunkIsSent) {
  fake.set_speech(xz::test::chirp(2.0, 24000));  // 12 kB of mp3 at 48 kbit/s
  fake.set_speech_chunking(1000, 50ms);          // 13 chunks over 0.6 s
  auto cfg = config();
  cfg["response_format"] = "mp3";
  OpenAiTts tts(cfg, ctx);
  std::optional<Clock::time_point> first;
  auto n = asio::co_spawn(rt.loop(0), [&]() -> Task<std::size_t> {
    std::size_t chunks = 0;
    xz::providers::PcmSink sink = [&](PcmChunk c) -> Task<bool> {
      if (!first && !c.samples.empty()) first = Clock::now();
      ++chunks;
      co_return true;
    };
    TtsRequest req{.text = "Streaming mp3.", .voice = "", .language = ""};
    co_await tts.synthesize(std::move(req), std::move(sink));
    co_return chunks;
  }(), asio::use_future).get();
  auto sent = fake.speech_chunk_times();
  ASSERT_GE(sent.size(), 10u);
  ASSERT_TRUE(first.has_value());
  EXPECT_GE(n, 10u);
  EXPECT_LT(*first, sent[1]) << "the first chunk alone holds decodable frames";
  EXPECT_LT(*first, sent.back());
}

TEST_F(OpenAiTtsTest, FaultsEndTheSegmentWithTheEngineAndTheVendorError) {
  auto cfg = config();
  cfg["response_format"] = "mp3";
  cfg["timeout"] = 1;
  fake.set_speech(xz::test::chirp(2.0, 24000));
  fake.set_speech_chunking(1000, 10ms);
  OpenAiTts tts(cfg, ctx);
  auto expect_error = [](const Heard& h, const std::string& part) {
    EXPECT_NE(h.error.find("openai TTS (tts-1)"), std::string::npos) << h.error;
    EXPECT_NE(h.error.find(part), std::string::npos) << h.error;
  };

  fake.fail_next(503, R"({"error":{"message":"The server is overloaded","type":"server_error"}})");
  expect_error(speak(tts, {.text = "x", .voice = "", .language = ""}), "HTTP 503: The server is overloaded");
  fake.fail_next(401, R"({"error":{"message":"Incorrect API key provided"}})");
  expect_error(speak(tts, {.text = "x", .voice = "", .language = ""}), "HTTP 401: Incorrect API key provided");

  // Dropped after 3 chunks: what arrived was played, then the error.
  fake.set_speech_fault(xz::test::FakeSpeechFault::drop, 3);
  auto dropped = speak(tts, {.text = "x", .voice = "", .language = ""});
  EXPECT_NE(dropped.error, "");
  expect_error(dropped, "");
  EXPECT_GT(dropped.samples.size(), 0u) << "audio before the drop is kept";

  // Stalled after 2 chunks: the timeout (1 s) ends it.
  fake.set_speech_fault(xz::test::FakeSpeechFault::stall, 2);
  auto start = Clock::now();
  auto stalled = speak(tts, {.text = "x", .voice = "", .language = ""});
  expect_error(stalled, "timed out");
  EXPECT_LT(Clock::now() - start, 3s);
  fake.set_speech_fault(xz::test::FakeSpeechFault::none, 0);

  // 200 with something that is not audio.
  fake.set_speech_body(R"({"error":"voice not found"})");
  expect_error(speak(tts, {.text = "x", .voice = "", .language = ""}),
               R"(bad mp3 answer: not a known audio format (mp3, Ogg Opus, ADTS AAC, FLAC or WAV): starts with text '{"error":"voice not found"}')");
  // Audio that breaks off inside a frame.
  auto mp3 = xz::test::encode_mp3(xz::test::chirp(0.5, 24000), 24000, 1, 48, false);
  fake.set_speech_body(mp3.substr(0, mp3.size() - 50));
  expect_error(speak(tts, {.text = "x", .voice = "", .language = ""}), "bad mp3 answer: mp3 ends inside a frame");
}
