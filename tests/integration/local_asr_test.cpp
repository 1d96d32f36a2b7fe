// Local recognition in the whole server: a device speaks Chinese (espeak-ng's cmn voice)
// into a session whose ASR is sherpa_onnx_local, running the tiny SenseVoice-shaped model
// the test writes (support/tiny_sense_voice). The real sim device, Opus, listener and
// sherpa-onnx; the LLM is the OpenAI fake.
#include <filesystem>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "sim/sim_device.h"
#include "support/child_process.h"
#include "support/fake_openai.h"
#include "support/speech.h"
#include "support/test_server.h"
#include "support/tiny_sense_voice.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::TestServer;

// Issue 16, Deliver 6: Chinese speech reaches the engine as 16 kHz PCM of the right length.
// In manual mode every frame between listen start and stop is the utterance, so the
// engine must get exactly the device's frames x 960 samples (a wrong rate would scale
// it), and the tones before the speech must still be heard as 你好世界 (a wrong rate
// would move them off the model's bands; the speech after them is heard as whatever
// the tiny model makes of it).
TEST(LocalAsr, EspeakChineseReachesSherpaOnnxAs16kHzPcmOfTheRightLength) {
  const auto dir = std::filesystem::temp_directory_path() / ("xz-local-asr-" + std::to_string(::getpid()));
  xz::test::write_tiny_sense_voice(dir.string());
  FakeOpenAi fake;
  fake.push_reply({.tokens = {"好的。"}});
  TestServer server({{"selected_module.ASR", "SherpaASR"},
                     {"ASR.SherpaASR.model_dir", dir.string()},
                     {"ASR.SherpaASR.num_threads", 1},
                     {"LLM.OpenAILLM.base_url", fake.url()},
                     {"LLM.OpenAILLM.api_key", "sk-test"}});
  const auto chinese = xz::test::espeak_speech("你好，今天天气怎么样？", "cmn");
  const auto speech = xz::test::concat({xz::test::tone_speech("你好世界"), chinese});
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
    // The reply's end: by then the LLM has been asked.
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 30s));
    co_return m ? m->value("text", "") : std::string("(no stt)");
  }());

  // What SimDevice::speak sends: the speech padded to whole 60 ms frames, then the
  // trailing silence, rounded up to a frame.
  const std::size_t frame = 960;
  const std::size_t speech_samples = (speech.size() + frame - 1) / frame * frame;
  const std::size_t sent = (speech_samples + kTrailing.count() * 16 + frame - 1) / frame * frame;
  std::printf("%.2f s of tones + %.2f s of espeak cmn Chinese; %zu samples sent; stt \"%s\"\n",
              static_cast<double>(speech.size() - chinese.size()) / 16000, static_cast<double>(chinese.size()) / 16000,
              sent, stt.c_str());
  EXPECT_EQ(server.metric("xiaozhi_asr_local_utterances_total"), 1);
  EXPECT_EQ(server.metric("xiaozhi_asr_local_samples_total"), static_cast<double>(sent));
  EXPECT_TRUE(stt.starts_with("你好世界")) << stt;
  // The emotion the model heard goes to the LLM as the reference sends it; the device's
  // stt above shows the words alone.
  ASSERT_EQ(fake.requests().size(), 1u);
  const json messages = fake.requests()[0].json["messages"];
  ASSERT_FALSE(messages.empty());
  const json user = json::parse(messages.back().value("content", "{}"));
  EXPECT_EQ(user.value("content", ""), stt);
  EXPECT_EQ(user.value("language", ""), "zh");
  EXPECT_EQ(user.value("emotion", ""), "🙂") << "HAPPY, as the tiny model hears the tones";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
