// A streaming cloud ASR in the whole server: a device's push-to-talk utterance reaches
// doubao_stream's local fake (the vendor's real sauc v3 protocol) as 16 kHz PCM of the
// right length while the user speaks, and the fake's final text is the turn's stt. The
// real sim device, Opus, listener and engine; the LLM is the OpenAI fake.
#include <string>

#include <gtest/gtest.h>

#include "sim/sim_device.h"
#include "support/fake_openai.h"
#include "support/fake_stream_asr.h"
#include "support/speech.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::TestServer;

TEST(StreamAsrTurn, DoubaoStreamHearsTheWholeUtteranceAndItsFinalIsTheStt) {
  xz::test::FakeStreamAsr asr(xz::test::FakeAsrVendor::doubao);
  FakeOpenAi llm;
  llm.push_reply({.tokens = {"好的。"}});
  TestServer server({{"selected_module.ASR", "DoubaoStreamASR"},
                     {"ASR.DoubaoStreamASR.appid", "test-app"},
                     {"ASR.DoubaoStreamASR.access_token", "test-token"},
                     {"ASR.DoubaoStreamASR.endpoint", asr.url()},
                     {"LLM.OpenAILLM.base_url", llm.url()},
                     {"LLM.OpenAILLM.api_key", "sk-test"}});
  const auto speech = xz::test::flite_speech("hello there, how are you");
  constexpr auto kTrailing = 240ms;

  ClientLoop loop;
  const std::string stt = loop.run([&]() -> Task<std::string> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    ConnectOptions o;
    o.url = server.ws_url();
    co_await dev.connect(o);
    EXPECT_TRUE(co_await dev.wait_hello());
    dev.listen_start("manual");
    co_await dev.speak(speech, kTrailing);
    dev.listen_stop();
    auto m = co_await dev.wait_type("stt", "", 30s);
    co_return m ? m->value("text", "") : std::string("(no stt)");
  }());

  EXPECT_EQ(stt, "你好世界");
  // What SimDevice::speak sends, in whole 60 ms frames: all of it reached the vendor.
  const std::size_t frame = 960;
  const std::size_t speech_samples = (speech.size() + frame - 1) / frame * frame;
  const std::size_t sent = (speech_samples + kTrailing.count() * 16 + frame - 1) / frame * frame;
  EXPECT_EQ(asr.audio(1).size(), sent * 2);
  EXPECT_GE(asr.partials_sent(), 1u);  // results came while the user spoke
  EXPECT_EQ(asr.count("LastAudio"), 1u);
}
