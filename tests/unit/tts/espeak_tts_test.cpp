#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include "audio/pcm.h"
#include "providers/tts/espeak_tts.h"
#include "unit/tts/tts_harness.h"

namespace asio = boost::asio;
using xz::providers::EngineConfigError;
using xz::providers::EspeakTts;
using xz::providers::mostly_cjk;
using xz::providers::ProviderContext;
using xz::providers::TtsRequest;
using xz::test::Received;
using xz::test::recording_sink;
using xz::test::run_synthesis;

namespace {

// Processes whose parent is this test and whose name is espeak-ng, zombies included.
std::vector<pid_t> espeak_children() {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!in || !std::getline(in, stat)) continue;
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string comm = stat.substr(open + 1, close - open - 1);
    char state = 0;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2) continue;
    if (ppid == ::getpid() && comm == "espeak-ng") out.push_back(std::stoi(stat.substr(0, open)));
  }
  return out;
}

bool process_exists(pid_t pid) { return std::filesystem::exists("/proc/" + std::to_string(pid)); }

// A dropped child is killed at once but reaped by a short-lived thread of its own
// (core::ChildProcess), which the test cannot join: the kernel's reaping is the only
// event, so watch for it, with a deadline.
bool reaped_within(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (process_exists(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s + " ";
  return out;
}

struct EspeakFixture : ::testing::Test {
  asio::io_context io;
  asio::thread_pool pool{2};
  ProviderContext ctx{pool};
  EspeakTts tts{nlohmann::json{{"type", "espeak"}, {"voice", "en-us"}, {"voice_zh", "cmn-latn-pinyin"}}, ctx};

  Received speak(TtsRequest req) {
    Received got;
    run_synthesis(io, tts, std::move(req), recording_sink(got));
    return got;
  }
};

}  // namespace

TEST_F(EspeakFixture, EnglishSentenceBecomesPlausibleSpeechAndTheChildIsReaped) {
  auto got = speak({"Hello world, this is a test of the speech engine.", "", ""});
  EXPECT_EQ(got.sample_rate(), 22050);
  EXPECT_GT(got.seconds(), 1.5);
  EXPECT_LT(got.seconds(), 6.0);
  EXPECT_GT(xz::audio::rms(got.pcm), 300.0);
  EXPECT_GE(got.chunk_sizes.size(), 10u);
  EXPECT_LE(*std::max_element(got.chunk_sizes.begin(), got.chunk_sizes.end()), 2205u);
  for (auto id : got.sink_threads) EXPECT_EQ(id, std::this_thread::get_id());
  EXPECT_TRUE(espeak_children().empty()) << "reaped before synthesize() returned";
}

TEST_F(EspeakFixture, ChineseTextGetsThePinyinVoice) {
  const std::string text = "你好，今天天气怎么样";
  EXPECT_EQ(tts.voice_for({text, "", ""}), "cmn-latn-pinyin");
  auto automatic = speak({text, "", ""});
  auto pinyin = speak({text, "cmn-latn-pinyin", ""});
  auto english = speak({text, "en-us", ""});  // reads each hanzi as "Chinese letter"
  EXPECT_GT(automatic.seconds(), 1.5);
  EXPECT_LT(automatic.seconds(), 5.0);
  EXPECT_EQ(automatic.pcm.size(), pinyin.pcm.size());
  EXPECT_LT(automatic.seconds(), english.seconds() * 0.7);
}

TEST_F(EspeakFixture, VoiceChoice) {
  EXPECT_EQ(tts.voice_for({"Hello there", "", ""}), "en-us");
  EXPECT_EQ(tts.voice_for({"Hello there", "", "zh-CN"}), "cmn-latn-pinyin");
  EXPECT_EQ(tts.voice_for({"你好", "", "en"}), "en-us");
  EXPECT_EQ(tts.voice_for({"你好", "de", ""}), "de");
  EXPECT_TRUE(mostly_cjk("我喜欢iPhone手机"));
  EXPECT_TRUE(mostly_cjk("你好"));
  EXPECT_FALSE(mostly_cjk("Hello 你"));
  EXPECT_FALSE(mostly_cjk("The word 好 means good in Chinese"));
  EXPECT_FALSE(mostly_cjk(""));
  EXPECT_FALSE(mostly_cjk("\xE4\xBD"));  // truncated UTF-8
}

TEST_F(EspeakFixture, SpeedChangesTheDuration) {
  ProviderContext c{pool};
  EspeakTts slow(nlohmann::json{{"speed", 100}}, c), fast(nlohmann::json{{"speed", 350}}, c);
  Received a, b;
  run_synthesis(io, slow, {"One two three four five six seven eight nine ten.", "", ""}, recording_sink(a));
  run_synthesis(io, fast, {"One two three four five six seven eight nine ten.", "", ""}, recording_sink(b));
  EXPECT_GT(a.seconds(), b.seconds() * 2);
}

TEST_F(EspeakFixture, CancellationKillsAndReapsTheChild) {
  std::vector<pid_t> seen;
  asio::cancellation_signal cancel;
  Received got;
  auto sink = recording_sink(got, [&](int n) {
    if (n == 1) {
      seen = espeak_children();
      asio::post(io, [&] { cancel.emit(asio::cancellation_type::terminal); });
    }
    return true;
  });
  // About a minute of audio: the child is still writing (blocked on the pipe) at chunk 1.
  TtsRequest req{repeat("This sentence is repeated many times to make a long stream.", 25), "", ""};
  try {
    run_synthesis(io, tts, req, sink, &cancel);
    FAIL() << "a cancelled synthesis must not complete normally";
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), asio::error::operation_aborted);
  }
  ASSERT_EQ(seen.size(), 1u) << "the child was running when the first chunk arrived";
  EXPECT_LT(got.seconds(), 10.0);
  pool.join();
  EXPECT_TRUE(reaped_within(seen[0], std::chrono::seconds(5))) << "pid " << seen[0] << " left behind";
  EXPECT_TRUE(espeak_children().empty());
}

TEST_F(EspeakFixture, SinkReturningFalseKillsAndReapsTheChild) {
  std::vector<pid_t> seen;
  Received got;
  TtsRequest req{repeat("Stop listening after the second chunk please.", 25), "", ""};
  run_synthesis(io, tts, req, recording_sink(got, [&](int n) {
                  if (n == 2) seen = espeak_children();
                  return n < 2;
                }));
  EXPECT_EQ(got.chunk_sizes.size(), 2u);
  ASSERT_EQ(seen.size(), 1u);
  pool.join();
  EXPECT_TRUE(reaped_within(seen[0], std::chrono::seconds(5))) << "pid " << seen[0] << " left behind";
}

TEST_F(EspeakFixture, UnknownVoiceIsAnErrorWithEspeaksMessage) {
  try {
    speak({"Hello.", "nosuchvoice", ""});
    FAIL() << "an unknown voice must fail";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("voice does not exist"), std::string::npos) << what;
    EXPECT_NE(what.find("exit status 1"), std::string::npos) << what;
  }
  EXPECT_TRUE(espeak_children().empty());
  EXPECT_THROW(speak({"Hello.", "--help", ""}), std::runtime_error);
}

TEST_F(EspeakFixture, MissingBinaryIsAnError) {
  EspeakTts missing(nlohmann::json{{"binary", "/nonexistent/espeak-ng"}}, ctx);
  Received got;
  try {
    run_synthesis(io, missing, {"Hello.", "", ""}, recording_sink(got));
    FAIL() << "a missing binary must fail";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run"), std::string::npos) << e.what();
  }
}

TEST_F(EspeakFixture, BlankTextAndBadConfig) {
  EXPECT_TRUE(speak({" \n ", "", ""}).pcm.empty());
  EXPECT_THROW(EspeakTts(nlohmann::json{{"speed", 10}}, ctx), EngineConfigError);
  EXPECT_THROW(EspeakTts(nlohmann::json{{"speed", "fast"}}, ctx), EngineConfigError);
  EXPECT_THROW(EspeakTts(nlohmann::json{{"voice", "-x"}}, ctx), EngineConfigError);
  EXPECT_THROW(EspeakTts(nlohmann::json{{"voice_zh", "a b"}}, ctx), EngineConfigError);
  EXPECT_THROW(EspeakTts(nlohmann::json{{"voice", 5}}, ctx), EngineConfigError);
  EXPECT_NO_THROW(EspeakTts(nlohmann::json::object(), ctx));
}

TEST_F(EspeakFixture, TextWithQuotesNewlinesAndDashesIsSpokenLiterally) {
  auto got = speak({"--version \"quoted\" 'single' $HOME `ls`\nsecond line; third & fourth", "", ""});
  EXPECT_GT(got.seconds(), 2.0);
  EXPECT_EQ(got.sample_rate(), 22050);
}
