// EdgeTts against a local fake of Edge's read-aloud service that speaks its protocol
// (support/fake_edge_tts.h): real wss://, the Sec-MS-GEC token checked against the
// fake's clock, real MP3 decoded as it streams, and every fault Edge can show.
#include "providers/tts/edge_tts.h"

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include "audio/resampler.h"
#include "support/encoded_audio.h"
#include "support/fake_edge_tts.h"
#include "support/speech.h"
#include "unit/tts/tts_harness.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using xz::providers::EdgeTts;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using xz::providers::TtsRequest;
using xz::test::FakeEdgeFault;
using xz::test::FakeEdgeOptions;
using xz::test::FakeEdgeTts;
using xz::test::Received;
using xz::test::recording_sink;
using xz::test::run_synthesis;

namespace {

class EdgeTtsTest : public ::testing::Test {
 protected:
  explicit EdgeTtsTest(FakeEdgeOptions opts = {.tls = true}) : fake(opts) {}

  // The reference's EdgeTTS entry with only the endpoint (and the test CA) added.
  EngineConfig config() const {
    return {{"type", "edge"},
            {"voice", "zh-CN-XiaoxiaoNeural"},
            {"output_dir", "tmp/"},
            {"url", fake.url()},
            {"ca_file", fake.ca_file()}};
  }

  // Speaks `text`; the error's text, "" on success.
  std::string speak(EdgeTts& tts, const std::string& text, Received& out,
                    std::function<bool(int)> keep_going = {}) {
    try {
      run_synthesis(io, tts, TtsRequest{text, "", ""}, recording_sink(out, std::move(keep_going)));
    } catch (const std::exception& e) {
      return e.what();
    }
    return {};
  }

  FakeEdgeTts fake;
  asio::io_context io;
  asio::thread_pool pool{2};
  ProviderContext ctx{pool};
};

class EdgeTtsPlainTest : public EdgeTtsTest {
 protected:
  EdgeTtsPlainTest() : EdgeTtsTest({.tls = false}) {}
};

class EdgeTtsSkewTest : public EdgeTtsTest {
 protected:
  EdgeTtsSkewTest() : EdgeTtsTest({.tls = true, .clock_offset = std::chrono::seconds(3600)}) {}
};

}  // namespace

TEST_F(EdgeTtsTest, ReferenceEntrySpeaksThroughTheFakeOverTls) {
  const auto source = xz::test::chirp(1.5, 24000);
  fake.set_audio(xz::test::encode_mp3(source, 24000, 1, 48, false));
  EdgeTts tts(config(), ctx);
  Received got;
  ASSERT_EQ(speak(tts, "Hello <there> & you.", got), "");
  EXPECT_EQ(got.sample_rate(), 24000);
  EXPECT_NEAR(got.seconds(), 1.5, 0.1);
  // The MP3 decoded is the signal that was encoded.
  EXPECT_GT(xz::test::best_match(source, got.pcm, 4000).correlation, 0.9);

  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& r = reqs[0];
  EXPECT_EQ(r.voice, "Microsoft Server Speech Text to Speech Voice (zh-CN, XiaoxiaoNeural)");
  EXPECT_EQ(r.text, "Hello <there> & you.");
  // The reference's defaults: rate 0, pitch 0, volume 50 sent as "+50%".
  EXPECT_EQ(r.rate, "+0%");
  EXPECT_EQ(r.pitch, "+0Hz");
  EXPECT_EQ(r.volume, "+50%");
  EXPECT_EQ(r.query.at("Sec-MS-GEC-Version"), "1-143.0.3650.75");
  EXPECT_EQ(r.headers.at("origin"), "chrome-extension://jdiccldimpdaibmpdkjnbmckianbfold");
  EXPECT_EQ(r.headers.at("cookie").rfind("muid=", 0), 0u);
  EXPECT_TRUE(fake.wait_for_closed_connections(1, 2s)) << "the client closes after turn.end";
  EXPECT_EQ(fake.upgrades_refused(), 0u);
}

TEST_F(EdgeTtsPlainTest, DefaultAudioIsRealSpeechOverPlainWebSocket) {
  auto cfg = config();
  cfg.erase("ca_file");
  EdgeTts tts(cfg, ctx);
  Received got;
  ASSERT_EQ(speak(tts, "This is a test sentence.", got), "");
  EXPECT_GT(got.seconds(), 0.8);
  int peak = 0;
  for (auto s : got.pcm) peak = std::max(peak, std::abs(static_cast<int>(s)));
  EXPECT_GT(peak, 1000);
}

// Deliver 2: the MP3 is decoded as it arrives, not after the whole answer.
TEST_F(EdgeTtsTest, FirstPcmArrivesBeforeTheFakeSendsTheLastFrame) {
  fake.set_audio(xz::test::encode_mp3(xz::test::chirp(2.0, 24000), 24000, 1, 48, false));
  fake.set_chunking(1500, 80ms);  // 12 KB of MP3: 8 frames, 0.56 s apart end to end
  EdgeTts tts(config(), ctx);
  Received got;
  ASSERT_EQ(speak(tts, "Streaming.", got), "");
  ASSERT_TRUE(got.first_chunk_at && fake.first_audio_sent() && fake.last_audio_sent());
  EXPECT_LT(*got.first_chunk_at, *fake.last_audio_sent()) << "PCM came only after the whole answer was sent";
  EXPECT_GT(*fake.last_audio_sent() - *got.first_chunk_at, 300ms);
  EXPECT_GE(got.chunk_sizes.size(), 6u);
}

TEST_F(EdgeTtsTest, ProsodyAndVoiceComeFromTheEntry) {
  auto cfg = config();
  cfg["rate"] = 10;
  cfg["pitch"] = "-5";   // the manager-api sends numbers as text
  cfg["volume"] = "+0%"; // Edge's own form is kept
  cfg["private_voice"] = "zh-CN-liaoning-XiaobeiNeural";
  EdgeTts tts(cfg, ctx);
  Received got;
  ASSERT_EQ(speak(tts, "Hi.", got), "");
  const auto r = fake.requests().at(0);
  EXPECT_EQ(r.voice, "Microsoft Server Speech Text to Speech Voice (zh-CN-liaoning, XiaobeiNeural)");
  EXPECT_EQ(r.rate, "+10%");
  EXPECT_EQ(r.pitch, "-5Hz");
  EXPECT_EQ(r.volume, "+0%");
}

TEST_F(EdgeTtsTest, LongTextIsSpokenInSeveralRequests) {
  fake.set_audio(xz::test::encode_mp3(xz::test::chirp(0.5, 24000), 24000, 1, 48, false));
  std::string text;
  while (text.size() < 6000) text += "A sentence that goes on. ";
  EdgeTts tts(config(), ctx);
  Received got;
  ASSERT_EQ(speak(tts, text, got), "");
  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_LE(reqs[0].text.size(), 4096u);
  EXPECT_EQ(reqs[0].text + " " + reqs[1].text, text.substr(0, text.size() - 1));
  // Twice 0.5 s, each with the encoder's delay and last-frame padding (about 50 ms).
  EXPECT_NEAR(got.seconds(), 1.05, 0.08);
}

TEST_F(EdgeTtsSkewTest, A403WithTheServiceDateCorrectsTheClockOnce) {
  EdgeTts tts(config(), ctx);
  Received first, second;
  ASSERT_EQ(speak(tts, "One.", first), "");
  EXPECT_EQ(fake.upgrades_refused(), 1u) << "our clock is an hour behind the fake's";
  EXPECT_GT(first.seconds(), 0.1);
  ASSERT_EQ(speak(tts, "Two.", second), "");
  EXPECT_EQ(fake.upgrades_refused(), 1u) << "the correction is kept for later sentences";
}

TEST_F(EdgeTtsTest, FaultsEndTheSentenceWithEdgesErrorAndTheEngineGoesOn) {
  auto cfg = config();
  cfg["timeout"] = 0.3;
  EdgeTts tts(cfg, ctx);
  struct Case {
    FakeEdgeFault fault;
    int connections;
    const char* expected;
  };
  for (const auto& c : {Case{FakeEdgeFault::forbidden, 2, "answered 403"},
                        Case{FakeEdgeFault::close_before_turn_end, 1, "closed before"},
                        Case{FakeEdgeFault::no_audio, 1, "no audio received before turn.end"},
                        Case{FakeEdgeFault::unknown_path, 1, "unknown path 'turn.fancy'"},
                        Case{FakeEdgeFault::stall, 1, "no answer for 300 ms"},
                        Case{FakeEdgeFault::garbage_audio, 1, ""}}) {
    fake.fail_next(c.fault, c.connections);
    Received got;
    const auto started = xz::test::SteadyClock::now();
    const std::string error = speak(tts, "Fault.", got);
    EXPECT_EQ(error.rfind("Edge TTS: ", 0), 0u) << static_cast<int>(c.fault) << ": " << error;
    EXPECT_NE(error.find(c.expected), std::string::npos) << error;
    EXPECT_LT(xz::test::SteadyClock::now() - started, 3s) << error;
    Received after;
    EXPECT_EQ(speak(tts, "Fine again.", after), "") << "after fault " << static_cast<int>(c.fault);
    EXPECT_GT(after.seconds(), 0.1);
  }
}

// Barge-in: the sink says stop; the connection is dropped at once, nothing more arrives.
TEST_F(EdgeTtsTest, SinkStopEndsTheRequestAtOnce) {
  fake.set_audio(xz::test::encode_mp3(xz::test::chirp(3.0, 24000), 24000, 1, 48, false));
  fake.set_chunking(1000, 100ms);
  EdgeTts tts(config(), ctx);
  Received got;
  const auto started = xz::test::SteadyClock::now();
  ASSERT_EQ(speak(tts, "Stop me.", got, [](int n) { return n < 1; }), "");
  EXPECT_EQ(got.chunk_sizes.size(), 1u);
  EXPECT_LT(xz::test::SteadyClock::now() - started, 1s);
  EXPECT_TRUE(fake.wait_for_closed_connections(1, 2s));
}

TEST_F(EdgeTtsTest, CancellationStopsAtOnce) {
  fake.set_chunking(1000, 200ms);
  EdgeTts tts(config(), ctx);
  Received got;
  asio::cancellation_signal cancel;
  asio::steady_timer timer(io, 300ms);
  timer.async_wait([&](auto) { cancel.emit(asio::cancellation_type::terminal); });
  const auto started = xz::test::SteadyClock::now();
  try {
    run_synthesis(io, tts, TtsRequest{"A sentence long enough to take a while to send.", "", ""},
                  recording_sink(got), &cancel);
    ADD_FAILURE() << "not cancelled";
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), asio::error::operation_aborted) << e.what();
  }
  EXPECT_LT(xz::test::SteadyClock::now() - started, 1s);
  EXPECT_TRUE(fake.wait_for_closed_connections(1, 2s));
}

TEST_F(EdgeTtsTest, ConfigErrorsNameTheKey) {
  auto expect_error = [&](const char* key, EngineConfig::value_type value, const std::string& message) {
    auto cfg = config();
    cfg[key] = std::move(value);
    try {
      EdgeTts tts(cfg, ctx);
      ADD_FAILURE() << key << " accepted";
    } catch (const EngineConfigError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(message, 0), 0u) << e.what();
    }
  };
  expect_error("voice", "Xiaoxiao", "voice: 'Xiaoxiao' is not an Edge voice name");
  expect_error("rate", 1.5, "rate: must be a whole number");
  expect_error("pitch", "+5%", "pitch: not a number");
  expect_error("format", "wav", "format: 'wav' is not supported");
  expect_error("url", "https://example.com/edge", "url: not a wss:// or ws:// URL");
  expect_error("ca_file", "/nonexistent/ca.pem", "ca_file: ");
}
