// EdgeTTS, the reference's default TTS, selected as a switching user selects it (the
// reference's entry, only the endpoint changed) in the real server, driven by
// xiaozhi-sim; the service is the local fake of Edge's protocol. Its MP3 is decoded as
// it arrives: the device hears the first Opus frame before the fake has sent the whole
// answer (issue 15, "Checked by"). A broken answer costs that reply, not the session.
#include <gtest/gtest.h>

#include "sim/sim_device.h"
#include "support/encoded_audio.h"
#include "support/fake_edge_tts.h"
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
using xz::test::FakeEdgeFault;
using xz::test::FakeEdgeTts;
using xz::test::FakeOpenAi;
using xz::test::TestServer;

namespace {

std::vector<std::pair<std::string, json>> edge_config(const FakeOpenAi& llm, const FakeEdgeTts& edge) {
  return {{"LLM.OpenAILLM.base_url", llm.url()},
          {"LLM.OpenAILLM.api_key", "sk-test"},
          {"selected_module.TTS", "EdgeTTS"},
          {"TTS.EdgeTTS", json{{"type", "edge"}, {"voice", "zh-CN-XiaoxiaoNeural"}, {"output_dir", "tmp/"},
                               {"url", edge.url()}}}};
}

Task<bool> connect_and_hello(SimDevice& dev, const std::string& url) {
  ConnectOptions o;
  o.url = url;
  co_await dev.connect(o);
  co_return (co_await dev.wait_hello()).has_value();
}

// Types `text`, waits for the reply's end; the reply as the device saw it.
Task<TurnRecord> exchange(SimDevice& dev, std::string text) {
  dev.listen_detect(std::move(text));
  auto stop = co_await dev.wait_type("tts", "stop", 30s);
  EXPECT_TRUE(stop.has_value()) << "no tts stop";
  co_return dev.turns().empty() ? TurnRecord{} : dev.turns().back();
}

}  // namespace

TEST(EdgeTtsTurn, FirstOpusFrameReachesTheDeviceBeforeEdgeHasSentTheWholeAnswer) {
  FakeOpenAi llm;
  llm.push_reply({.tokens = {"Hello ", "there."}});
  FakeEdgeTts edge;
  edge.set_audio(xz::test::encode_mp3(xz::test::chirp(3.0, 24000), 24000, 1, 48, false));
  edge.set_chunking(1500, 100ms);  // 18 KB of MP3 in 12 frames over 1.1 s
  TestServer server(edge_config(llm, edge));
  ClientLoop loop;
  auto turn = loop.run([&]() -> Task<TurnRecord> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    EXPECT_TRUE(co_await connect_and_hello(dev, url));
    co_return co_await exchange(dev, "hi");
  }());

  EXPECT_EQ(turn.sentences, (std::vector<std::string>{"Hello there."}));
  ASSERT_TRUE(turn.first_audio_at && edge.first_audio_sent() && edge.last_audio_sent());
  EXPECT_LT(*turn.first_audio_at, *edge.last_audio_sent())
      << "the first frame left only after Edge's whole answer had been sent";
  const auto lead = std::chrono::duration_cast<std::chrono::milliseconds>(*edge.last_audio_sent() - *turn.first_audio_at);
  const auto after_first =
      std::chrono::duration_cast<std::chrono::milliseconds>(*turn.first_audio_at - *edge.first_audio_sent());
  std::printf("[measure] edge: first Opus frame at the device %lld ms after Edge's first audio frame, %lld ms before "
              "its last\n",
              static_cast<long long>(after_first.count()), static_cast<long long>(lead.count()));
  EXPECT_GT(lead, 500ms);
  EXPECT_EQ(turn.undecodable_frames, 0);
  // 3 s of speech at 60 ms a frame.
  EXPECT_GE(turn.frames, 45);

  const auto reqs = edge.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].text, "Hello there.");
  EXPECT_EQ(reqs[0].voice, "Microsoft Server Speech Text to Speech Voice (zh-CN, XiaoxiaoNeural)");
}

TEST(EdgeTtsTurn, ABrokenAnswerCostsThatReplyAndTheSessionGoesOn) {
  FakeOpenAi llm;
  llm.push_reply({.tokens = {"First answer."}});
  llm.push_reply({.tokens = {"Second answer."}});
  FakeEdgeTts edge;
  edge.set_chunking(1500, 20ms);
  TestServer server(edge_config(llm, edge));
  ClientLoop loop;
  struct Seen {
    TurnRecord broken, fine;
    bool connected = false;
  };
  edge.fail_next(FakeEdgeFault::close_before_turn_end);
  auto seen = loop.run([&]() -> Task<Seen> {
    Seen s;
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    EXPECT_TRUE(co_await connect_and_hello(dev, url));
    s.broken = co_await exchange(dev, "one");
    s.fine = co_await exchange(dev, "two");
    s.connected = dev.connected();
    co_return s;
  }());
  EXPECT_TRUE(seen.connected);
  EXPECT_EQ(seen.fine.sentences, (std::vector<std::string>{"Second answer."}));
  EXPECT_GT(seen.fine.frames, 10);
  EXPECT_EQ(edge.requests().size(), 2u);
}
