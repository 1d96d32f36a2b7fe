// The real-time voice pipeline end to end: the real server (Silero VAD, pocketsphinx,
// flite, Opus) driven by xiaozhi-sim with flite-made speech; the only fake is the
// remote LLM, which speaks the real OpenAI streaming protocol.
#include <algorithm>
#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "core/metrics_text.h"
#include "sim/sim_device.h"
#include "support/child_process.h"
#include "support/fake_openai.h"
#include "support/speech.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::TestServer;

namespace {

std::vector<std::pair<std::string, json>> llm_at(const FakeOpenAi& fake,
                                                 std::vector<std::pair<std::string, json>> more = {}) {
  std::vector<std::pair<std::string, json>> o = {{"LLM.OpenAILLM.base_url", fake.url()},
                                                 {"LLM.OpenAILLM.api_key", "sk-test"}};
  for (auto& m : more) o.push_back(std::move(m));
  return o;
}

ConnectOptions opts(const TestServer& s, std::function<void(ConnectOptions&)> tweak = {}) {
  ConnectOptions o;
  o.url = s.ws_url();
  if (tweak) tweak(o);
  return o;
}

// Tokens as an LLM streams them: a few characters at a time.
std::vector<std::string> tokens_of(const std::string& text, std::size_t n = 4) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); i += n) out.push_back(text.substr(i, n));
  return out;
}

// Frames the server must send for a sentence: flite's 16 kHz audio at 24 kHz, in 60 ms
// frames, the last one padded.
int expected_frames(const std::string& sentence) {
  double seconds = static_cast<double>(xz::test::flite_speech(sentence).size()) / 16000.0;
  return static_cast<int>(std::ceil(seconds * 24000.0 / 1440.0));
}

std::vector<std::string> types_in_order(const SimDevice& dev) {
  std::vector<std::string> out;
  for (const auto& m : dev.messages()) {
    std::string t = m.json.value("type", "");
    if (t == "tts") t += ":" + m.json.value("state", "");
    if (t != "hello" && t != "mcp") out.push_back(t);
  }
  return out;
}

std::string metrics_text(TestServer& s) { return xz::test::http_request(s.http_port(), "GET", "/metrics").body; }

// -1 when the series is missing, so an absent metric fails any count check.
int metric_in(const std::string& metrics, const std::string& series) {
  return static_cast<int>(xz::core::metric_sample(metrics, series).value_or(-1));
}

int metric(TestServer& s, const std::string& series) { return metric_in(metrics_text(s), series); }

}  // namespace

TEST(VoicePipeline, AutoModeUtteranceIsHeardAnsweredAndSpoken) {
  FakeOpenAi fake;
  const std::string s1 = "It is sunny and warm today.";
  const std::string s2 = "Take a hat with you.";
  fake.push_reply({.tokens = tokens_of(s1 + " " + s2)});
  TestServer server(llm_at(fake));
  ClientLoop loop;

  auto turn = loop.run([&]() -> Task<xz::sim::TurnRecord> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    EXPECT_TRUE(co_await dev.wait_hello());
    dev.listen_start("auto");
    co_await dev.speak(xz::test::flite_speech("what is the weather like today"));
    auto stop = co_await dev.wait_type("tts", "stop", 30s);
    EXPECT_TRUE(stop.has_value()) << "no tts stop";
    auto order = types_in_order(dev);
    // stt -> tts start -> llm (emotion) -> (sentence_start + frames)* -> tts stop
    std::vector<std::string> expect_prefix = {"stt", "tts:start", "llm", "tts:sentence_start"};
    EXPECT_TRUE(order.size() >= 5 && std::equal(expect_prefix.begin(), expect_prefix.end(), order.begin()))
        << json(order).dump();
    EXPECT_EQ(order.back(), "tts:stop");
    EXPECT_EQ(dev.frames_outside_speaking(), 0);
    co_return dev.turns().empty() ? xz::sim::TurnRecord{} : dev.turns().back();
  }());

  for (const char* w : {"weather", "like", "today"})
    EXPECT_NE(turn.stt_text.find(w), std::string::npos) << "stt: " << turn.stt_text;
  EXPECT_EQ(turn.sentences, (std::vector<std::string>{s1, s2}));
  EXPECT_EQ(turn.oversize_frames, 0) << "frames must be <= the announced 60 ms";
  EXPECT_EQ(turn.undecodable_frames, 0);
  int expected = expected_frames(s1) + expected_frames(s2);
  EXPECT_NEAR(turn.frames, expected, 2) << "frame count must match the synthesized duration";
  EXPECT_NEAR(static_cast<double>(turn.samples), expected * 1440.0, 2 * 1440.0);
  // The LLM saw the system prompt and the recognised text.
  auto req = fake.last_request().json;
  EXPECT_EQ(req["messages"][0]["role"], "system");
  EXPECT_NE(req["messages"].back()["content"].get<std::string>().find("weather"), std::string::npos);
  EXPECT_TRUE(req["stream"].get<bool>());
}

TEST(VoicePipeline, AbortMidReplyStopsAudioAtOnce) {
  FakeOpenAi fake;
  std::string long_answer;
  for (int i = 0; i < 12; ++i) long_answer += "This is sentence number " + std::to_string(i) + " of a long story. ";
  fake.push_reply({.tokens = tokens_of(long_answer), .token_interval = 20ms});
  TestServer server(llm_at(fake));
  ClientLoop loop;

  auto r = loop.run([&]() -> Task<std::tuple<bool, int, int, double>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    dev.listen_detect("tell me a long story");
    // Wait until audio is flowing, then interrupt.
    auto started = co_await dev.wait_type("tts", "sentence_start", 20s);
    EXPECT_TRUE(started.has_value());
    co_await xz::core::sleep_for(400ms);
    int frames_before = dev.turns().back().frames;
    auto t0 = std::chrono::steady_clock::now();
    dev.abort();
    auto stop = co_await dev.wait_type("tts", "stop", 5s);
    double stop_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    // Anything sent after tts stop would arrive outside "speaking".
    co_await xz::core::sleep_for(500ms);
    co_return std::make_tuple(stop.has_value(), frames_before, dev.frames_outside_speaking(), stop_ms);
  }());
  EXPECT_TRUE(std::get<0>(r));
  EXPECT_GT(std::get<1>(r), 0);
  EXPECT_EQ(std::get<2>(r), 0) << "no frame of the old turn after tts stop";
  EXPECT_LT(std::get<3>(r), 200.0);
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 5s)) << "the LLM stream is cancelled";
}

TEST(VoicePipeline, ManualModeListenStopEndsTheUtterance) {
  FakeOpenAi fake;
  fake.push_reply({.tokens = tokens_of("Sure.")});
  TestServer server(llm_at(fake));
  ClientLoop loop;
  auto turn = loop.run([&]() -> Task<xz::sim::TurnRecord> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    dev.listen_start("manual");
    co_await dev.speak(xz::test::flite_speech("please turn on the light"), 200ms);
    dev.listen_stop();
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 30s));
    co_return dev.turns().empty() ? xz::sim::TurnRecord{} : dev.turns().back();
  }());
  EXPECT_NE(turn.stt_text.find("turn on"), std::string::npos) << turn.stt_text;
  EXPECT_EQ(turn.sentences, std::vector<std::string>{"Sure."});
  EXPECT_GT(turn.frames, 0);
}

TEST(VoicePipeline, WakeWordGetsTheCachedGreeting) {
  FakeOpenAi fake;
  // No lines to refresh with: the greeting stays (ReferenceWakeWord.* tests the refresh).
  TestServer server(llm_at(fake, {{"wakeup_words_response", "Hello, I am listening."},
                                  {"wakeup_words_responses", nlohmann::json::array()}}));
  ClientLoop loop;
  auto turns = loop.run([&]() -> Task<std::vector<xz::sim::TurnRecord>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    for (int i = 0; i < 2; ++i) {
      dev.listen_detect("Hello Xiaozhi");
      EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
    }
    co_return dev.turns();
  }());
  ASSERT_EQ(turns.size(), 2u);
  for (const auto& t : turns) {
    EXPECT_EQ(t.sentences, std::vector<std::string>{"Hello, I am listening."});
    EXPECT_TRUE(t.stt_text.empty()) << "a greeting has no stt";
    EXPECT_GT(t.frames, 10);
  }
  EXPECT_EQ(turns[0].frames, turns[1].frames) << "the second greeting comes from the cache";
  EXPECT_EQ(fake.request_count(), 0u) << "a wake word does not call the LLM";
}

TEST(VoicePipeline, WakeWordWithGreetingsOffIsSttAndTtsStop) {
  FakeOpenAi fake;
  TestServer server(llm_at(fake, {{"enable_greeting", false}}));
  ClientLoop loop;
  auto order = loop.run([&]() -> Task<std::vector<std::string>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    dev.listen_detect("你好小智");
    co_await dev.wait_type("tts", "stop", 5s);
    co_return types_in_order(dev);
  }());
  EXPECT_EQ(order, (std::vector<std::string>{"stt", "tts:stop"}));
}

TEST(VoicePipeline, TypedDetectTextIsAUserUtterance) {
  FakeOpenAi fake;
  fake.push_reply({.tokens = tokens_of("Why did the chicken cross the road?")});
  TestServer server(llm_at(fake));
  ClientLoop loop;
  auto turn = loop.run([&]() -> Task<xz::sim::TurnRecord> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    dev.listen_detect("tell me a joke");
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
    co_return dev.turns().empty() ? xz::sim::TurnRecord{} : dev.turns().back();
  }());
  EXPECT_EQ(turn.stt_text, "tell me a joke");
  EXPECT_EQ(turn.sentences, std::vector<std::string>{"Why did the chicken cross the road?"});
}

// Downlink audio in every framing the firmware (and the MQTT gateway) understands.
class DownlinkFraming : public ::testing::TestWithParam<int> {};

TEST_P(DownlinkFraming, ReplyFramesDecodeInTheDevicesFraming) {
  const int variant = GetParam();  // 1, 2, 3 = protocol version; 0 = MQTT gateway (v2 + 16-byte)
  FakeOpenAi fake;
  fake.push_reply({.tokens = tokens_of("Framing works.")});
  TestServer server(llm_at(fake));
  ClientLoop loop;
  auto turn = loop.run([&]() -> Task<xz::sim::TurnRecord> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server, [&](ConnectOptions& o) {
      o.protocol_version = variant == 0 ? 2 : variant;
      o.from_mqtt_gateway = variant == 0;
    }));
    co_await dev.wait_hello();
    dev.listen_detect("test the framing");
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
    co_return dev.turns().empty() ? xz::sim::TurnRecord{} : dev.turns().back();
  }());
  EXPECT_NEAR(turn.frames, expected_frames("Framing works."), 1);
  EXPECT_EQ(turn.undecodable_frames, 0);
  EXPECT_EQ(turn.oversize_frames, 0);
}

INSTANTIATE_TEST_SUITE_P(VoicePipeline, DownlinkFraming, ::testing::Values(1, 2, 3, 0));

TEST(VoicePipeline, ExitCommandClosesAfterTheReply) {
  FakeOpenAi fake;
  fake.push_reply({.tokens = tokens_of("Goodbye!")});
  TestServer server(llm_at(fake));
  ClientLoop loop;
  auto r = loop.run([&]() -> Task<std::pair<bool, bool>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    dev.listen_detect("exit");
    bool stopped = (co_await dev.wait_type("tts", "stop", 20s)).has_value();
    co_return std::make_pair(stopped, co_await dev.wait_closed(5s));
  }());
  EXPECT_TRUE(r.first) << "the reply is spoken first";
  EXPECT_TRUE(r.second) << "then the connection closes";
}

TEST(VoicePipeline, LlmFailureIsSpokenAndTheSessionContinues) {
  FakeOpenAi fake;
  fake.push_reply({.http_status = 500});
  fake.push_reply({.tokens = tokens_of("I am back.")});
  TestServer server(llm_at(fake, {{"system_error_response", "Sorry, my brain is offline."}}));
  ClientLoop loop;
  auto turns = loop.run([&]() -> Task<std::vector<xz::sim::TurnRecord>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    dev.listen_detect("hello there");
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
    dev.listen_detect("are you there");
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
    co_return dev.turns();
  }());
  ASSERT_EQ(turns.size(), 2u);
  EXPECT_EQ(turns[0].sentences, std::vector<std::string>{"Sorry, my brain is offline."});
  EXPECT_GT(turns[0].frames, 0) << "the error is spoken";
  EXPECT_EQ(turns[1].sentences, std::vector<std::string>{"I am back."});
  EXPECT_EQ(metric(server, "xiaozhi_provider_errors_total{provider=\"llm\"}"), 1);
}

TEST(VoicePipeline, TwentyConcurrentSessionsEachCompleteATurnWithoutLoopStalls) {
  FakeOpenAi fake;
  fake.set_default_reply([](const json&) { return FakeReply{.tokens = tokens_of("Hello to you too.")}; });
  TestServer server(llm_at(fake));
  ClientLoop loop;
  constexpr int kSessions = 20;
  // Loop probes stalled more than 20 ms by the server's own work, counted from here on
  // (start-up excluded). Lateness from waiting for a CPU on a busy machine is not counted.
  // Both figures from one snapshot: the probes keep observing between two requests.
  auto stalled_probes = [&] {
    auto m = metrics_text(server);
    return metric_in(m, "xiaozhi_event_loop_stall_ms_count") - metric_in(m, "xiaozhi_event_loop_stall_ms_bucket{le=\"20\"}");
  };
  const int stalled_before = stalled_probes();
  auto completed = loop.run([&]() -> Task<int> {
    auto ex = co_await boost::asio::this_coro::executor;
    std::vector<std::unique_ptr<SimDevice>> devs;
    for (int i = 0; i < kSessions; ++i) {
      devs.push_back(std::make_unique<SimDevice>(ex));
      co_await devs.back()->connect(opts(server));
    }
    for (auto& d : devs) co_await d->wait_hello();
    for (auto& d : devs) d->listen_detect("hello");
    int done = 0;
    for (auto& d : devs) {
      auto stop = co_await d->wait_type("tts", "stop", 60s);
      if (stop && !d->turns().empty() && d->turns().back().frames > 0) ++done;
    }
    co_return done;
  }());
  EXPECT_EQ(completed, kSessions);
  EXPECT_GE(metric(server, "xiaozhi_event_loop_stall_ms_count"), 10) << "the loop monitor is running";
  EXPECT_EQ(stalled_probes() - stalled_before, 0)
      << "an event loop stalled for more than 20 ms (worst stall "
      << metric(server, "xiaozhi_event_loop_stall_max_ms") << " ms, worst lag "
      << metric(server, "xiaozhi_event_loop_lag_max_ms") << " ms)";
}
