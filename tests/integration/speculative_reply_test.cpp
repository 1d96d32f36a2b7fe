// Speculative replies (issue 17): the real server (Silero VAD, pocketsphinx, flite, Opus)
// driven by xiaozhi-sim at real-time pace; the only fake is the remote LLM (the OpenAI
// streaming protocol). A reply starts at a short pause (speculative_silence_ms) but the
// device sees nothing of it before the real end of speech.
#include <algorithm>
#include <cstdlib>
#include <memory>

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
using xz::sim::TurnRecord;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::FakeToolCall;
using xz::test::TestServer;

namespace {

using Overrides = std::vector<std::pair<std::string, json>>;

Overrides config_for(const FakeOpenAi& fake, bool speculate, Overrides more = {}) {
  Overrides o = {{"LLM.OpenAILLM.base_url", fake.url()},
                 {"LLM.OpenAILLM.api_key", "sk-test"},
                 {"VAD.SileroVAD.speculative_silence_ms", speculate ? 100 : 0}};
  for (auto& m : more) o.push_back(std::move(m));
  return o;
}

ConnectOptions opts(const TestServer& s) {
  ConnectOptions o;
  o.url = s.ws_url();
  return o;
}

FakeReply text_reply(std::string text, std::chrono::milliseconds first_token = 0ms) {
  FakeReply r;
  for (std::size_t i = 0; i < text.size(); i += 4) r.tokens.push_back(text.substr(i, 4));
  r.first_token_delay = first_token;
  return r;
}

FakeReply tool_reply(std::string name, std::string arguments) {
  FakeReply r;
  r.tool_calls.push_back(FakeToolCall{"", std::move(name), std::move(arguments)});
  return r;
}

// flite's speech without its leading and trailing quiet: the gaps a test puts between
// two halves are then the gaps the VAD hears.
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

std::vector<std::string> types_in_order(const SimDevice& dev) {
  std::vector<std::string> out;
  for (const auto& m : dev.messages()) {
    std::string t = m.json.value("type", "");
    if (t == "tts") t += ":" + m.json.value("state", "");
    if (t != "hello" && t != "mcp") out.push_back(t);
  }
  return out;
}

double ms(std::chrono::steady_clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

int metric(TestServer& s, const std::string& series) {
  auto body = xz::test::http_request(s.http_port(), "GET", "/metrics").body;
  return static_cast<int>(xz::core::metric_sample(body, series).value_or(-1));
}

int user_messages(const json& request) {
  int n = 0;
  for (const auto& m : request["messages"])
    if (m.value("role", "") == "user") ++n;
  return n;
}

std::string last_user_text(const json& request) {
  std::string out;
  for (const auto& m : request["messages"])
    if (m.value("role", "") == "user") out = m.value("content", "");
  return out;
}

struct SpokenTurns {
  std::vector<std::vector<std::string>> orders;  // message types of each turn
  std::vector<double> first_audio_ms;            // the last voiced frame sent -> first audio frame
};

// `n` spoken turns, one connection; each waits for tts stop. The ASR is the fake's
// transcription API (the issue's harness): a local engine's speed would depend on how busy
// this machine is, and a speculation that is not done by the end of speech is not used.
SpokenTurns spoken_turns(bool speculate, int n) {
  FakeOpenAi fake;
  // The harness profile's LLM: the first clause 320 ms after the request.
  fake.set_default_reply([](const json&) { return text_reply("It is sunny today.", 320ms); });
  fake.set_transcript("what is the weather like today");
  TestServer server(config_for(fake, speculate,
                               {{"selected_module.ASR", "OpenaiASR"},
                                {"ASR.OpenaiASR.base_url", fake.url() + "/audio/transcriptions"},
                                {"ASR.OpenaiASR.api_key", "sk-test"}}));
  ClientLoop loop;
  const auto speech = xz::test::flite_speech("what is the weather like today");
  return loop.run(
      [&]() -> Task<SpokenTurns> {
        auto ex = co_await boost::asio::this_coro::executor;
        SimDevice dev(ex);
        co_await dev.connect(opts(server));
        EXPECT_TRUE(co_await dev.wait_hello());
        SpokenTurns out;
        std::size_t seen = 0;
        for (int i = 0; i < n; ++i) {
          dev.listen_start("auto");
          co_await dev.speak(speech);
          EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 30s)) << "turn " << i;
          auto order = types_in_order(dev);
          out.orders.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(seen), order.end());
          seen = order.size();
          if (dev.turns().size() == static_cast<std::size_t>(i + 1)) {
            const auto& t = dev.turns().back();
            if (t.end_of_speech && t.first_audio_at) out.first_audio_ms.push_back(ms(*t.first_audio_at - *t.end_of_speech));
          }
        }
        co_return out;
      }(),
      120s);
}

double median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

TEST(SpeculativeReply, SameMessagesInTheSameOrderAndFirstAudioEarlier) {
  constexpr int kTurns = 3;
  auto off = spoken_turns(false, kTurns);
  auto on = spoken_turns(true, kTurns);
  ASSERT_EQ(off.orders.size(), static_cast<std::size_t>(kTurns));
  ASSERT_EQ(on.orders.size(), static_cast<std::size_t>(kTurns));
  for (int i = 0; i < kTurns; ++i) {
    EXPECT_EQ(on.orders[i], off.orders[i]) << "turn " << i << ": " << json(on.orders[i]).dump() << " vs "
                                           << json(off.orders[i]).dump();
    ASSERT_GE(on.orders[i].size(), 4u);
    EXPECT_EQ(on.orders[i][0], "stt");
    EXPECT_EQ(on.orders[i][1], "tts:start");
  }
  ASSERT_EQ(off.first_audio_ms.size(), static_cast<std::size_t>(kTurns));
  ASSERT_EQ(on.first_audio_ms.size(), static_cast<std::size_t>(kTurns));
  const double off_ms = median(off.first_audio_ms), on_ms = median(on.first_audio_ms);
  std::printf("end of speech -> first audio, p50 of %d turns: speculation off %.0f ms, on %.0f ms\n", kTurns, off_ms,
              on_ms);
  EXPECT_LT(on_ms, off_ms) << "speculation must bring the first audio earlier";
}

TEST(SpeculativeReply, APauseInsideASentenceStaysOneTurn) {
  FakeOpenAi fake;
  fake.set_default_reply([](const json&) { return text_reply("Paris is sunny.", 320ms); });
  TestServer server(config_for(fake, true));
  ClientLoop loop;
  // 150 ms of silence inside: longer than the speculative pause (100 ms), shorter than
  // the end of speech (200 ms).
  const auto sentence = xz::test::concat({trimmed_speech("what is the weather"), xz::test::silence(0.15),
                                          trimmed_speech("like in paris today")});
  auto [turns, order] = loop.run([&]() -> Task<std::pair<std::vector<TurnRecord>, std::vector<std::string>>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    EXPECT_TRUE(co_await dev.wait_hello());
    dev.listen_start("auto");
    co_await dev.speak(sentence);
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 30s));
    co_return std::pair{dev.turns(), types_in_order(dev)};
  }());
  EXPECT_EQ(std::count(order.begin(), order.end(), "stt"), 1) << json(order).dump();
  EXPECT_EQ(std::count(order.begin(), order.end(), "tts:start"), 1) << json(order).dump();
  ASSERT_EQ(turns.size(), 1u);
  const auto& t = turns[0];
  ASSERT_TRUE(t.end_of_speech && t.stt_at && t.tts_start_at && t.first_audio_at);
  EXPECT_GT(*t.stt_at, *t.end_of_speech) << "stt before the true end of speech";
  EXPECT_GT(*t.tts_start_at, *t.end_of_speech) << "tts start before the true end of speech";
  EXPECT_GT(*t.first_audio_at, *t.end_of_speech) << "reply audio before the true end of speech";
  // The ASR heard the whole sentence.
  for (const char* w : {"weather", "paris", "today"}) EXPECT_NE(t.stt_text.find(w), std::string::npos) << t.stt_text;
  auto requests = fake.requests();
  ASSERT_GE(requests.size(), 1u);
  EXPECT_LE(requests.size(), 2u) << "at most one discarded speculative LLM call for the pause";
  EXPECT_LE(metric(server, "xiaozhi_speculative_replies_discarded_total"), 1);
  EXPECT_EQ(static_cast<int>(requests.size()) - 1, metric(server, "xiaozhi_speculative_replies_discarded_total"))
      << "every LLM call but the answer's was a discarded speculation";
  // The answer's request holds the whole sentence once, nothing of a discarded speculation.
  const auto& answer = requests.back().json;
  EXPECT_EQ(user_messages(answer), 1) << answer.dump();
  EXPECT_NE(last_user_text(answer).find("paris"), std::string::npos) << answer.dump();
}

namespace {

// An end of speech far from the pause, so the test controls which silence is which
// whatever the VAD's window rounding.
constexpr int kLongEndMs = 1000;

Overrides long_end() { return {{"VAD.SileroVAD.min_silence_duration_ms", kLongEndMs}}; }

// The first half, a pause the VAD takes for a tentative end, then (once the speculative
// reply has asked the LLM) the second half: the speculation must go unseen.
struct PausedTurn {
  std::vector<TurnRecord> turns;
  std::vector<std::string> order;
  int volume = -1;                  // the simulator's speaker volume: set_volume ran
  std::size_t mcp_calls_before_end = 0;  // tool calls the device saw before its end of speech
  bool aborted = false;
};

PausedTurn paused_turn(TestServer& server, FakeOpenAi& fake, bool abort_in_pause) {
  ClientLoop loop;
  auto dev = std::make_shared<std::unique_ptr<SimDevice>>();
  loop.run([&]() -> Task<int> {
    auto ex = co_await boost::asio::this_coro::executor;
    *dev = std::make_unique<SimDevice>(ex);
    co_await (*dev)->connect(opts(server));
    EXPECT_TRUE(co_await (*dev)->wait_hello());
    (*dev)->listen_start("auto");
    // 400 ms of silence: a pause (100 ms), not an end (kLongEndMs). The uplink then waits:
    // the VAD counts the audio it hears, not wall time, so the pause lasts until we go on.
    co_await (*dev)->speak(trimmed_speech("what is the weather"), 400ms);
    co_return 0;
  }());
  // The speculative reply asked the LLM (an event in the fake, not a sleep).
  EXPECT_TRUE(fake.wait_for_requests(1, 20s)) << "no speculative LLM call at the pause";
  return loop.run([&]() -> Task<PausedTurn> {
    auto& d = **dev;
    PausedTurn out;
    if (abort_in_pause) {
      d.abort();
      out.aborted = true;
    }
    co_await d.speak(trimmed_speech("like in paris today"), std::chrono::milliseconds(kLongEndMs + 600));
    out.mcp_calls_before_end = d.mcp().calls().size();
    // The reply's own tts stop (an abort is answered with one too).
    EXPECT_TRUE(co_await d.wait_type("tts", "start", 30s));
    EXPECT_TRUE(co_await d.wait_type("tts", "stop", 30s));
    out.turns = d.turns();
    out.order = types_in_order(d);
    out.volume = d.mcp().volume();
    dev->reset();
    co_return out;
  }());
}

}  // namespace

TEST(SpeculativeReply, AToolOfADiscardedSpeculationNeverRuns) {
  FakeOpenAi fake;
  // The speculation at the pause wants a tool; the confirmed turn just answers.
  fake.push_reply(tool_reply("self_audio_speaker_set_volume", R"({"volume": 10})"));
  fake.push_reply(text_reply("Done."));
  TestServer server(config_for(fake, true, long_end()));
  auto r = paused_turn(server, fake, false);
  EXPECT_NE(r.volume, 10) << "the discarded speculation's tool ran";
  EXPECT_EQ(r.mcp_calls_before_end, 0u);
  EXPECT_EQ(std::count(r.order.begin(), r.order.end(), "stt"), 1) << json(r.order).dump();
  ASSERT_EQ(r.turns.size(), 1u);
  EXPECT_TRUE(r.turns[0].tool_hints.empty());
  EXPECT_EQ(r.turns[0].sentences, std::vector<std::string>{"Done."});
  EXPECT_EQ(metric(server, "xiaozhi_speculative_replies_discarded_total"), 1);
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 2u);
  // Nothing of the discarded one is in the dialogue: no tool call, no tool result, one user turn.
  const auto& answer = requests[1].json;
  EXPECT_EQ(user_messages(answer), 1) << answer.dump();
  for (const auto& m : answer["messages"]) EXPECT_NE(m.value("role", ""), "tool") << answer.dump();
  EXPECT_NE(last_user_text(answer).find("paris"), std::string::npos) << answer.dump();
}

TEST(SpeculativeReply, AToolOfAConfirmedSpeculationRunsAfterTheEndOfSpeech) {
  FakeOpenAi fake;
  fake.push_reply(tool_reply("self_audio_speaker_set_volume", R"({"volume": 30})"));
  fake.push_reply(text_reply("The volume is now thirty."));
  // The fake's transcription API: a speculation still running at the end of speech is
  // not used, and a local engine's speed depends on how busy this machine is.
  fake.set_transcript("set the volume to thirty");
  TestServer server(config_for(fake, true,
                               {{"selected_module.ASR", "OpenaiASR"},
                                {"ASR.OpenaiASR.base_url", fake.url() + "/audio/transcriptions"},
                                {"ASR.OpenaiASR.api_key", "sk-test"}}));
  ClientLoop loop;
  // Message types as the device got them, the tool calls among them.
  auto [r, inbox] = loop.run([&]() -> Task<std::pair<PausedTurn, std::vector<std::string>>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    EXPECT_TRUE(co_await dev.wait_hello());
    dev.listen_start("auto");
    // The tentative end comes 100 ms into the silence, the real one 100 ms later: the
    // reply (and its tool call) starts in between and must wait for it.
    co_await dev.speak(trimmed_speech("set the volume to thirty"));
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 30s));
    PausedTurn out;
    out.turns = dev.turns();
    out.volume = dev.mcp().volume();
    std::vector<std::string> types;
    for (const auto& m : dev.messages()) {
      const auto type = m.json.value("type", "");
      if (type == "mcp" && m.json.contains("payload") && m.json["payload"].value("method", "") == "tools/call")
        types.push_back("tools/call");
      else if (type == "stt")
        types.push_back(m.json.value("text", "").rfind("% ", 0) == 0 ? "stt:tool" : "stt");
    }
    co_return std::pair{out, types};
  }());
  EXPECT_EQ(inbox, (std::vector<std::string>{"stt", "stt:tool", "tools/call"}))
      << "the tool must run only after the end of speech confirmed the reply (its stt)";
  EXPECT_EQ(r.volume, 30) << "the confirmed reply's tool must run";
  ASSERT_EQ(r.turns.size(), 1u);
  EXPECT_EQ(r.turns[0].tool_hints, std::vector<std::string>{"self_audio_speaker_set_volume"});
  EXPECT_EQ(metric(server, "xiaozhi_speculative_replies_confirmed_total"), 1);
  EXPECT_EQ(metric(server, "xiaozhi_speculative_replies_discarded_total"), 0);
}

TEST(SpeculativeReply, AnAbortWhileHeldDiscardsItSilently) {
  FakeOpenAi fake;
  fake.push_reply(text_reply("This must never be heard."));
  fake.push_reply(text_reply("Done."));
  TestServer server(config_for(fake, true, long_end()));
  auto r = paused_turn(server, fake, true);
  EXPECT_TRUE(r.aborted);
  // The abort is answered as when nothing plays (tts stop); no stt, tts start or audio of
  // the discarded reply, and the utterance goes on as one.
  EXPECT_EQ(std::count(r.order.begin(), r.order.end(), "stt"), 1) << json(r.order).dump();
  EXPECT_EQ(std::count(r.order.begin(), r.order.end(), "tts:start"), 1) << json(r.order).dump();
  // The simulator files the abort's tts stop as a record of its own: it must hold nothing.
  ASSERT_GE(r.turns.size(), 1u);
  for (std::size_t i = 0; i + 1 < r.turns.size(); ++i) {
    EXPECT_FALSE(r.turns[i].stt_at || r.turns[i].tts_start_at || r.turns[i].first_audio_at) << "record " << i;
    EXPECT_EQ(r.turns[i].frames, 0);
  }
  const auto& reply = r.turns.back();
  EXPECT_EQ(reply.sentences, std::vector<std::string>{"Done."});
  EXPECT_NE(reply.stt_text.find("weather"), std::string::npos) << reply.stt_text;
  EXPECT_NE(reply.stt_text.find("paris"), std::string::npos) << reply.stt_text;
  EXPECT_EQ(metric(server, "xiaozhi_speculative_replies_discarded_total"), 1);
  EXPECT_EQ(metric(server, "xiaozhi_turns_interrupted_total"), 0) << "a held reply is not an interrupted turn";
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(user_messages(requests[1].json), 1) << requests[1].json.dump();
}
