// Each HTTP TTS engine of the reference selected as a switching user selects it: the
// built-in entry under the reference's name (the reference's own entry) with only the
// endpoint and keys set, in the real server driven by xiaozhi-sim; the vendor is its
// local fake. The reply is shown and heard.
#include <functional>

#include <gtest/gtest.h>

#include "sim/sim_device.h"
#include "support/fake_openai.h"
#include "support/fake_tts_vendors.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::sim::TurnRecord;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::FakeTtsVendors;
using xz::test::FakeVendorKeys;
using xz::test::TestServer;

namespace {

using Overrides = std::vector<std::pair<std::string, json>>;

struct EntryCase {
  const char* entry;   // the reference's entry name
  const char* vendor;  // FakeTtsVendors::url's name
  std::function<Overrides(const FakeTtsVendors&)> settings;  // endpoint and keys, under TTS.<entry>
};

void PrintTo(const EntryCase& c, std::ostream* os) { *os << c.entry; }

std::vector<EntryCase> entries() {
  return {
      {"CosyVoiceSiliconflow", "siliconflow",
       [](const FakeTtsVendors& f) {
         return Overrides{{"access_token", FakeVendorKeys::siliconflow}, {"endpoint", f.url("siliconflow")}};
       }},
      {"CustomTTS", "custom", [](const FakeTtsVendors& f) { return Overrides{{"url", f.url("custom")}}; }},
      {"FishSpeech", "fishspeech",
       [](const FakeTtsVendors& f) {
         return Overrides{{"api_url", f.url("fishspeech")}, {"api_key", FakeVendorKeys::fish}};
       }},
      {"GPT_SOVITS_V2", "gpt_sovits_v2", [](const FakeTtsVendors& f) { return Overrides{{"url", f.url("gpt_sovits_v2")}}; }},
      {"GPT_SOVITS_V3", "gpt_sovits_v3", [](const FakeTtsVendors& f) { return Overrides{{"url", f.url("gpt_sovits_v3")}}; }},
      {"MinimaxTTSHTTPStream", "minimax",
       [](const FakeTtsVendors& f) {
         return Overrides{{"group_id", FakeVendorKeys::minimax_group}, {"api_key", FakeVendorKeys::minimax_key},
                          {"endpoint", f.url("minimax")}};
       }},
      {"DoubaoTTS", "doubao",
       [](const FakeTtsVendors& f) {
         return Overrides{{"api_url", f.url("doubao")}, {"appid", "123456"}, {"access_token", FakeVendorKeys::doubao_token}};
       }},
      {"CozeCnTTS", "cozecn",
       [](const FakeTtsVendors& f) {
         return Overrides{{"access_token", FakeVendorKeys::coze}, {"voice", 7426720361733046281LL},
                          {"endpoint", f.url("cozecn")}};
       }},
      {"TencentTTS", "tencent",
       [](const FakeTtsVendors& f) {
         return Overrides{{"secret_id", FakeVendorKeys::tencent_id}, {"secret_key", FakeVendorKeys::tencent_key},
                          {"endpoint", f.url("tencent")}};
       }},
      {"PaddleSpeechTTS", "paddle_ws", [](const FakeTtsVendors& f) { return Overrides{{"url", f.url("paddle_ws")}}; }},
      {"IndexStreamTTS", "index_stream", [](const FakeTtsVendors& f) { return Overrides{{"api_url", f.url("index_stream")}}; }},
  };
}

class HttpTtsTurn : public ::testing::TestWithParam<EntryCase> {};

Task<bool> connect_and_hello(SimDevice& dev, const std::string& url) {
  ConnectOptions o;
  o.url = url;
  co_await dev.connect(o);
  co_return (co_await dev.wait_hello()).has_value();
}

}  // namespace

TEST_P(HttpTtsTurn, AReplyIsShownAndHeard) {
  const auto& c = GetParam();
  FakeOpenAi llm;
  llm.push_reply({.tokens = {"Hello ", "there."}});
  FakeTtsVendors vendors;
  Overrides cfg = {{"LLM.OpenAILLM.base_url", llm.url()},
                   {"LLM.OpenAILLM.api_key", "sk-test"},
                   {"selected_module.TTS", c.entry}};
  for (auto& [key, value] : c.settings(vendors)) cfg.push_back({std::string("TTS.") + c.entry + "." + key, value});
  TestServer server(cfg);
  ClientLoop loop;
  auto turn = loop.run([&]() -> Task<TurnRecord> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string url = server.ws_url();
    EXPECT_TRUE(co_await connect_and_hello(dev, url));
    dev.listen_detect("hi");
    EXPECT_TRUE((co_await dev.wait_type("tts", "stop", 30s)).has_value()) << "no tts stop";
    co_return dev.turns().empty() ? TurnRecord{} : dev.turns().back();
  }());
  EXPECT_EQ(turn.sentences, (std::vector<std::string>{"Hello there."}));
  EXPECT_GE(turn.frames, 8) << "flite says \"Hello there.\" in about a second";
  EXPECT_EQ(turn.undecodable_frames, 0);
  ASSERT_TRUE(vendors.wait_for_calls(1, 2s));
  const auto calls = vendors.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].vendor, c.vendor);
}

INSTANTIATE_TEST_SUITE_P(ReferenceEntries, HttpTtsTurn, ::testing::ValuesIn(entries()),
                         [](const auto& info) { return std::string(info.param.entry); });
