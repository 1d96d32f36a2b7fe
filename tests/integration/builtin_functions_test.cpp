// The built-in functions inside a real session: a function whose web service is gone
// (connection refused) answers with a spoken error and the session goes on. The real
// server and xiaozhi-sim; the LLM is the local OpenAI fake, scripted to call the
// function once.
#include <gtest/gtest.h>

#include "net/websocket.h"
#include "sim/sim_device.h"
#include "support/child_process.h"
#include "support/fake_http_apis.h"
#include "support/fake_openai.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::sim::TurnRecord;
using xz::test::ClientLoop;
using xz::test::FakeHttpApis;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::FakeToolCall;
using xz::test::TestServer;

namespace {

std::string last_user_text(const json& request) {
  std::string text;
  for (const auto& m : request.value("messages", json::array())) {
    auto content = m.find("content");
    if (m.value("role", "") == "user" && content != m.end() && content->is_string()) text = content->get<std::string>();
  }
  return text;
}

// Two typed turns on one connection: the replies as the device saw them.
Task<std::vector<TurnRecord>> two_turns(std::string url, std::string first, std::string second) {
  auto ex = co_await boost::asio::this_coro::executor;
  SimDevice dev(ex);
  ConnectOptions o;
  o.url = url;
  co_await dev.connect(o);
  EXPECT_TRUE(co_await dev.wait_hello());
  for (std::string* text : {&first, &second}) {
    dev.listen_detect(std::move(*text));
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 30s)) << "the reply never ended";
  }
  co_return dev.turns();
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += p + " ";
  return out;
}

}  // namespace

TEST(BuiltinFunctions, AServiceThatIsGoneIsASpokenErrorAndTheSessionGoesOn) {
  FakeOpenAi llm;
  llm.set_default_reply([](const json& request) {
    FakeReply r;
    const json messages = request.value("messages", json::array());
    const bool after_tool = !messages.empty() && messages.back().value("role", "") == "tool";
    if (last_user_text(request).find("eat") != std::string::npos && !after_tool)
      r.tool_calls.push_back(FakeToolCall{"", "get_place_info", R"({"location":"西湖","keyword":"餐厅","lang":"en_US"})"});
    else
      r.tokens = {"I am ", "still here."};
    return r;
  });
  const std::string gone = "http://127.0.0.1:" + std::to_string(xz::test::free_port());  // refuses connections
  TestServer server({{"LLM.OpenAILLM.base_url", llm.url()},
                     {"LLM.OpenAILLM.api_key", "sk-test"},
                     {"Intent.function_call.functions", json::array({"get_place_info"})},
                     {"plugins.get_place_info.api_key", "amap-key"},
                     {"plugins.get_place_info.api_url", gone},
                     {"plugins.get_place_info.timeout", 2}});
  ClientLoop loop;
  auto turns = loop.run(two_turns(server.ws_url(), "where can I eat near West Lake", "are you there"));
  ASSERT_EQ(turns.size(), 2u);
  EXPECT_EQ(turns[0].tool_hints, std::vector<std::string>{"get_place_info"});
  EXPECT_NE(joined(turns[0].sentences).find("the map service isn't reachable"), std::string::npos)
      << joined(turns[0].sentences);
  EXPECT_NE(joined(turns[1].sentences).find("I am still here."), std::string::npos) << joined(turns[1].sentences);
  // The error was spoken as is: the LLM was asked once per turn, not about the error.
  EXPECT_EQ(llm.requests().size(), 2u);

}

// Without a place named, get_weather is about the device's city: the city of the address
// the device connected from (here through a trusted proxy's X-Real-IP), as the reference
// looks it up, not the configured default.
TEST(BuiltinFunctions, WeatherWithoutAPlaceIsForTheDevicesCity) {
  FakeHttpApis apis;
  apis.add_ip_location("36.112.0.7", "浙江省", "杭州市");
  apis.add_qweather_city({"杭州", "101210101", "浙江省", "hangzhou"});
  apis.add_qweather_city({"广州", "101280101", "广东省", "guangzhou"});
  FakeOpenAi llm;
  llm.set_default_reply([](const json& request) {
    FakeReply r;
    const json messages = request.value("messages", json::array());
    if (!messages.empty() && messages.back().value("role", "") == "tool")
      r.tokens = {"Here is the weather."};
    else
      r.tool_calls.push_back(FakeToolCall{"", "get_weather", R"({"lang":"zh_CN"})"});
    return r;
  });
  TestServer server({{"LLM.OpenAILLM.base_url", llm.url()},
                     {"LLM.OpenAILLM.api_key", "sk-test"},
                     {"server.trusted_proxies", json::array({"127.0.0.0/8"})},
                     {"prompt_context.ip_location_url", apis.url() + "/ipJson.jsp?json=true&ip={ip}"},
                     {"Intent.function_call.functions", json::array({"get_weather"})},
                     {"plugins.get_weather.api_host", apis.url()},
                     {"plugins.get_weather.api_key", "qw-test"},
                     {"plugins.get_weather.default_location", "广州"},
                     {"plugins.get_weather.allow_private_links", true}});
  ClientLoop loop;
  const bool ended = loop.run([&]() -> Task<bool> {
    xz::net::WsClientOptions o;
    o.headers = {{"Device-Id", "02:00:00:00:0a:01"}, {"Client-Id", "c"}, {"X-Real-IP", "36.112.0.7"}};
    auto ws = co_await xz::net::ws_connect(server.ws_url(), o);
    ws->send_text(R"({"type":"hello","version":1,"transport":"websocket"})");
    co_await ws->read();  // the server hello
    ws->send_text(R"({"type":"listen","state":"detect","text":"what is the weather like"})");
    while (auto m = co_await ws->read()) {
      if (m->binary) continue;
      const json j = json::parse(m->data);
      if (j.value("type", "") == "tts" && j.value("state", "") == "stop") {
        ws->close();
        co_return true;
      }
    }
    co_return false;
  }());
  ASSERT_TRUE(ended) << "the reply never ended";
  ASSERT_EQ(llm.requests().size(), 2u);
  const json tool_message = llm.requests()[1].json["messages"].back();
  EXPECT_EQ(tool_message.value("content", "").rfind("您查询的位置是：杭州", 0), 0u) << tool_message.dump();
  bool located = false, looked_up = false;
  for (auto& c : apis.calls()) {
    if (c.path == "/ipJson.jsp" && c.query["ip"] == "36.112.0.7") located = true;
    if (c.path == "/geo/v2/city/lookup") {
      looked_up = true;
      EXPECT_EQ(c.query["location"].rfind("杭州", 0), 0u) << c.query["location"];
    }
  }
  EXPECT_TRUE(located) << "the device's address is looked up";
  EXPECT_TRUE(looked_up);
}
