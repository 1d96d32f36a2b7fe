// A dual-stream TTS engine in the whole server: the LLM's text reaches the vendor while
// the model is still writing, barge-in cancels the vendor session, and vendor faults
// end only the reply. The vendor is the local fake speaking its real wire protocol;
// the LLM is the OpenAI fake; the device is xiaozhi-sim.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "audio/wav.h"
#include "build_paths.h"
#include "core/config.h"
#include "sim/sim_device.h"
#include "support/child_process.h"
#include "support/fake_duplex_tts.h"
#include "support/fake_openai.h"
#include "support/speech.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeDuplexOptions;
using xz::test::FakeDuplexTts;
using xz::test::FakeDuplexVendor;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::FakeTtsFault;
using xz::test::TestServer;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> tokens_of(const std::string& text, std::size_t n = 4) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); i += n) out.push_back(text.substr(i, n));
  return out;
}

// The config file's HuoshanDoubleStreamTTS entry selected, with only the endpoint and
// keys changed.
std::vector<std::pair<std::string, json>> config(const FakeOpenAi& llm, const FakeDuplexTts& tts,
                                                 std::vector<std::pair<std::string, json>> more = {}) {
  std::vector<std::pair<std::string, json>> o = {{"LLM.OpenAILLM.base_url", llm.url()},
                                                 {"LLM.OpenAILLM.api_key", "sk-test"},
                                                 {"selected_module.TTS", "HuoshanDoubleStreamTTS"},
                                                 {"TTS.HuoshanDoubleStreamTTS.ws_url", tts.url()},
                                                 {"TTS.HuoshanDoubleStreamTTS.appid", "test-app"},
                                                 {"TTS.HuoshanDoubleStreamTTS.access_token", "test-token"}};
  for (auto& m : more) o.push_back(std::move(m));
  return o;
}

ConnectOptions opts(const TestServer& s) {
  ConnectOptions o;
  o.url = s.ws_url();
  return o;
}

}  // namespace

TEST(DuplexTts, FirstAudioStartsBeforeTheLlmsFirstSentenceIsComplete) {
  // A slow model writing a long first sentence without a comma: the sentence path would
  // wait for its full stop; the vendor gets the words as they come and (like the real
  // service) starts speaking before the sentence ends.
  const std::string s1 =
      "This is a very long first sentence that goes on and on without any pause because the model is slow today.";
  const std::string s2 = "Here is the second one.";
  FakeOpenAi llm;
  llm.push_reply({.tokens = tokens_of(s1 + " " + s2), .token_interval = 40ms});
  FakeDuplexOptions fo;
  fo.speak_every_chars = 24;
  fo.ms_per_char = 30;
  FakeDuplexTts tts(FakeDuplexVendor::huoshan, fo);
  TestServer server(config(llm, tts));
  ClientLoop loop;
  auto turn = loop.run([&]() -> Task<xz::sim::TurnRecord> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    dev.listen_detect("tell me something");
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 30s));
    EXPECT_EQ(dev.frames_outside_speaking(), 0);
    co_return dev.turns().back();
  }());
  // When the model wrote the first sentence's full stop.
  const auto sent = llm.token_send_times();
  const std::size_t stop_token = (s1.size() - 1) / 4;
  ASSERT_GT(sent.size(), stop_token);
  ASSERT_TRUE(turn.first_audio_at);
  const double lead_ms = std::chrono::duration<double, std::milli>(sent[stop_token] - *turn.first_audio_at).count();
  EXPECT_GT(lead_ms, 500.0) << "the first audio must reach the device well before the sentence is complete";
  std::printf("first audio %.0f ms before the LLM finished its first sentence\n", lead_ms);
  EXPECT_EQ(turn.sentences, (std::vector<std::string>{s1, s2}));
  EXPECT_GT(turn.frames, 20);
  EXPECT_EQ(turn.undecodable_frames, 0);
  // One vendor session, its text streamed in many fragments, ended by FinishSession.
  EXPECT_EQ(tts.count("StartSession"), 1u);
  EXPECT_GT(tts.count("TaskRequest"), 10u);
  EXPECT_EQ(tts.count("FinishSession"), 1u);
  std::string spoken;
  for (const auto& m : tts.received())
    if (m.name == "TaskRequest") spoken += m.text;
  EXPECT_EQ(spoken, s1 + " " + s2);
}

TEST(DuplexTts, BargeInCancelsTheVendorSessionAndStopsAudioAtOnce) {
  std::string long_answer;
  for (int i = 0; i < 10; ++i) long_answer += "This is sentence number " + std::to_string(i) + " of a long story. ";
  FakeOpenAi llm;
  llm.push_reply({.tokens = tokens_of(long_answer), .token_interval = 20ms});
  llm.push_reply({.tokens = tokens_of("Sure, stopping.")});
  FakeDuplexOptions fo;
  fo.chunk_interval = 60ms;  // the vendor sends audio at about real time
  FakeDuplexTts tts(FakeDuplexVendor::huoshan, fo);
  TestServer server(config(llm, tts));
  ClientLoop loop;
  auto r = loop.run([&]() -> Task<std::tuple<bool, int, int, double, std::size_t>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    dev.listen_detect("tell me a long story");
    EXPECT_TRUE(co_await dev.wait_type("tts", "sentence_start", 20s));
    co_await xz::core::sleep_for(500ms);
    const int frames_before = dev.turns().back().frames;
    auto t0 = Clock::now();
    dev.abort();
    auto stop = co_await dev.wait_type("tts", "stop", 5s);
    const double stop_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    co_await xz::core::sleep_for(600ms);  // anything of the old reply would arrive here
    const int outside = dev.frames_outside_speaking();
    // The next reply on the same session and vendor connection.
    dev.listen_detect("stop please");
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
    co_return std::make_tuple(stop.has_value(), frames_before, outside, stop_ms, dev.turns().size());
  }());
  EXPECT_TRUE(std::get<0>(r));
  EXPECT_GT(std::get<1>(r), 0);
  EXPECT_EQ(std::get<2>(r), 0) << "no frame of the old reply after tts stop";
  EXPECT_LT(std::get<3>(r), 200.0);
  EXPECT_TRUE(tts.wait_for("CancelSession", 1, 5s)) << "the vendor is told";
  EXPECT_EQ(tts.count("StartSession"), 2u);
  EXPECT_EQ(tts.connections(), 1) << "the connection is kept for the next reply";
}

TEST(DuplexTts, VendorFaultsEndTheReplyWithItsTextShownAndTheSessionLives) {
  for (auto fault : {FakeTtsFault::error_frame, FakeTtsFault::drop, FakeTtsFault::stall, FakeTtsFault::malformed}) {
    const std::string s1 = "The first sentence is spoken.";
    const std::string s2 = "The second one as well.";
    FakeOpenAi llm;
    llm.push_reply({.tokens = tokens_of(s1 + " " + s2)});
    llm.push_reply({.tokens = tokens_of("All good again.")});
    FakeDuplexTts tts(FakeDuplexVendor::huoshan);
    TestServer server(config(llm, tts, {{"TTS.HuoshanDoubleStreamTTS.tts_timeout", 0.5}}));
    tts.fail_next_session(fault);
    ClientLoop loop;
    auto turns = loop.run([&]() -> Task<std::vector<xz::sim::TurnRecord>> {
      auto ex = co_await boost::asio::this_coro::executor;
      SimDevice dev(ex);
      co_await dev.connect(opts(server));
      co_await dev.wait_hello();
      dev.listen_detect("hello");
      EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
      dev.listen_detect("again");
      EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
      co_return dev.turns();
    }());
    SCOPED_TRACE(static_cast<int>(fault));
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[0].sentences, (std::vector<std::string>{s1, s2})) << "the text is still shown";
    EXPECT_GT(turns[0].frames, 0) << "what came before the fault is played; audio frames the vendor sent: "
                                  << tts.audio_frames_sent();
    EXPECT_EQ(turns[1].sentences, std::vector<std::string>{"All good again."});
    EXPECT_GT(turns[1].frames, 0);
    EXPECT_EQ(server.metric("xiaozhi_provider_errors_total{provider=\"tts\"}"), 1);
  }
}

TEST(DuplexTts, ToolCallsAndMusicKeepWorking) {
  // The model says a line and calls play_music: the line is streamed to the vendor, the
  // song plays after the reply's speech (as the reference plays files after the
  // session's end), with its title shown.
  const auto dir = std::filesystem::temp_directory_path() / ("xz-duplex-music-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto song = xz::test::flite_speech("Two tigers, two tigers, running fast.");
  xz::audio::write_wav_file(dir / "Two Tigers.wav", song, 16000);
  FakeOpenAi llm;
  llm.push_reply({.tokens = tokens_of("Sure, here it comes."),
                  .tool_calls = {xz::test::FakeToolCall{"", "play_music", R"({"song_name": "Two Tigers"})"}}});
  llm.push_reply({.tokens = tokens_of("That was fun.")});
  FakeDuplexTts tts(FakeDuplexVendor::huoshan);
  TestServer server(config(llm, tts, {{"plugins.play_music.music_dir", dir.string()}}));
  ClientLoop loop;
  auto turns = loop.run([&]() -> Task<std::vector<xz::sim::TurnRecord>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    dev.listen_detect("play two tigers");
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 30s));
    dev.listen_detect("how was it");
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 30s));
    co_return dev.turns();
  }());
  std::filesystem::remove_all(dir);
  ASSERT_EQ(turns.size(), 2u);
  // The segmenter's cuts (a first segment may end at a comma), then the song's title.
  ASSERT_EQ(turns[0].sentences.size(), 3u) << json(turns[0].sentences).dump();
  EXPECT_EQ(turns[0].sentences[0], "Sure,");
  EXPECT_EQ(turns[0].sentences[1], "here it comes.");
  EXPECT_NE(turns[0].sentences[2].find("Two Tigers"), std::string::npos) << turns[0].sentences[2];
  EXPECT_EQ(turns[0].tool_hints, std::vector<std::string>{"play_music"});
  // The line (16 characters at the fake's 80 ms) and the whole song.
  const double song_seconds = static_cast<double>(song.size()) / 16000;
  EXPECT_GE(turns[0].samples / 24000.0, song_seconds + 1.0);
  EXPECT_EQ(turns[1].sentences, std::vector<std::string>{"That was fun."});
  std::string spoken;
  for (const auto& m : tts.received())
    if (m.name == "TaskRequest") spoken += m.text;
  EXPECT_EQ(spoken, "Sure, here it comes.That was fun.");
}

namespace {

// A TTS entry of the reference's config.yaml (the fixture), as its user has it.
json reference_tts_entry(const std::string& name) {
  std::ifstream in(XZ_TEST_FIXTURES_DIR "/reference_config.yaml", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  auto root = xz::core::Config::parse_yaml(ss.str(), "reference_config.yaml");
  return root.at("TTS").at(name);
}

struct ReferenceEntry {
  const char* entry;
  FakeDuplexVendor vendor;
  // The endpoint and keys the user changes; everything else stays as the reference has it.
  std::function<void(json&, const FakeDuplexTts&)> point_at;
};

class DuplexTtsEngines : public ::testing::TestWithParam<ReferenceEntry> {};

}  // namespace

TEST_P(DuplexTtsEngines, EachEngineSpeaksAReplyFromTheReferencesEntry) {
  const auto& p = GetParam();
  FakeDuplexTts tts(p.vendor);
  json entry = reference_tts_entry(p.entry);
  const json before = entry;
  p.point_at(entry, tts);
  for (auto it = before.begin(); it != before.end(); ++it) {  // only endpoint and key values changed
    static const std::set<std::string> kChanged = {"ws_url",      "api_url", "appid",         "access_token",  "appkey",
                                                   "token",       "api_key", "access_key_id", "access_key_secret",
                                                   "app_id",      "api_secret"};
    if (!kChanged.count(it.key())) {
      EXPECT_EQ(entry[it.key()], it.value()) << it.key();
    }
  }
  const std::string s1 = "你好，今天天气很好。";
  const std::string s2 = "我们去公园吧！";
  FakeOpenAi llm;
  llm.push_reply({.tokens = tokens_of(s1 + s2, 6)});
  std::vector<std::pair<std::string, json>> o = {{"LLM.OpenAILLM.base_url", llm.url()},
                                                 {"LLM.OpenAILLM.api_key", "sk-test"},
                                                 {"selected_module.TTS", p.entry},
                                                 {std::string("TTS.") + p.entry, entry}};
  TestServer server(o);
  ClientLoop loop;
  auto turn = loop.run([&]() -> Task<xz::sim::TurnRecord> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    dev.listen_detect("你好");
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 30s));
    co_return dev.turns().back();
  }());
  EXPECT_EQ(turn.sentences, (std::vector<std::string>{"你好，", "今天天气很好。", "我们去公园吧！"}));
  // 13 characters at the fake's 80 ms, in 60 ms frames.
  EXPECT_NEAR(turn.samples / 24000.0, 13 * 0.08, 0.25);
  EXPECT_EQ(turn.undecodable_frames, 0);
  EXPECT_EQ(tts.sessions_finished(), 1u);
  EXPECT_EQ(server.metric("xiaozhi_provider_errors_total{provider=\"tts\"}"), 0);
}

INSTANTIATE_TEST_SUITE_P(
    DuplexTts, DuplexTtsEngines,
    ::testing::Values(
        ReferenceEntry{"HuoshanDoubleStreamTTS", FakeDuplexVendor::huoshan,
                       [](json& e, const FakeDuplexTts& f) {
                         e["ws_url"] = f.url();
                         e["appid"] = "test-app";
                         e["access_token"] = "test-token";
                       }},
        ReferenceEntry{"AliyunStreamTTS", FakeDuplexVendor::aliyun,
                       [](json& e, const FakeDuplexTts& f) {
                         // A private endpoint: the WebSocket and CreateToken URLs.
                         e["endpoint"] = f.url();
                         e["token_url"] = "http://127.0.0.1:" + std::to_string(f.port()) + "/";
                         e["appkey"] = "test-app";
                         e["token"] = "console-token";
                         e["access_key_id"] = "test-key-id";
                         e["access_key_secret"] = "test-secret";
                       }},
        ReferenceEntry{"AliBLTTS", FakeDuplexVendor::alibl,
                       [](json& e, const FakeDuplexTts& f) {
                         e["ws_url"] = f.url();
                         e["api_key"] = "test-token";
                       }},
        ReferenceEntry{"XunFeiTTS", FakeDuplexVendor::xunfei,
                       [](json& e, const FakeDuplexTts& f) {
                         e["api_url"] = f.url();
                         e["app_id"] = "test-app";
                         e["api_key"] = "test-token";
                         e["api_secret"] = "test-secret";
                       }}),
    [](const auto& info) { return std::string(info.param.entry); });
