// A recognition failure inside a whole session: the ASR engine's service is gone
// (connection refused), so the user hears the configured apology, the failure is
// logged and counted, and the next turn works. Real server, xiaozhi-sim, Opus and
// flite speech; the LLM is the OpenAI fake.
#include <gtest/gtest.h>

#include "sim/sim_device.h"
#include "support/child_process.h"
#include "support/fake_openai.h"
#include "support/speech.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::TestServer;

namespace {
constexpr const char* kApology = "Sorry I did not catch that.";

}  // namespace

TEST(AsrFault, AFailedRecognitionIsASpokenApologyAndTheSessionGoesOn) {
  FakeOpenAi llm;
  llm.push_reply({.tokens = {"Still here."}});
  const std::string gone = "http://127.0.0.1:" + std::to_string(xz::test::free_port()) + "/v1/audio/transcriptions";
  TestServer server({{"selected_module.ASR", "OpenaiASR"},
                     {"ASR.OpenaiASR.base_url", gone},
                     {"ASR.OpenaiASR.api_key", "sk-test"},
                     {"ASR.OpenaiASR.timeout", 3},
                     {"asr_error_reply", kApology},
                     {"LLM.OpenAILLM.base_url", llm.url()},
                     {"LLM.OpenAILLM.api_key", "sk-test"}});
  const auto speech = xz::test::flite_speech("hello there, how are you");
  ClientLoop loop;
  struct Seen {
    std::vector<std::string> apology;
    bool stt = false;
    std::vector<std::string> next;
  } seen = loop.run([&]() -> Task<Seen> {
    Seen s;
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    ConnectOptions o;
    o.url = server.ws_url();
    co_await dev.connect(o);
    EXPECT_TRUE(co_await dev.wait_hello());
    dev.listen_start("manual");
    co_await dev.speak(speech, 120ms);
    dev.listen_stop();
    if (co_await dev.wait_type("tts", "stop", 20s)) s.apology = dev.turns().back().sentences;
    for (const auto& m : dev.messages())
      if (m.json.value("type", "") == "stt") s.stt = true;
    dev.listen_detect("are you there");
    if (co_await dev.wait_type("tts", "stop", 20s)) s.next = dev.turns().back().sentences;
    co_return s;
  }());
  EXPECT_EQ(seen.apology, std::vector<std::string>{kApology});
  EXPECT_FALSE(seen.stt) << "nothing was heard, so no stt";
  EXPECT_EQ(seen.next, std::vector<std::string>{"Still here."}) << "the session goes on";
  EXPECT_EQ(llm.requests().size(), 1u) << "the failed utterance costs no LLM call";
  EXPECT_EQ(server.metric("xiaozhi_provider_errors_total{provider=\"asr\"}"), 1);
}
