// The tool loop's bounds end to end: a model that calls tools forever is stopped after
// max_tool_rounds, and calls beyond max_tool_calls_per_round in one round are answered
// with an error instead of running. The real server and xiaozhi-sim; the LLM is the
// local fake speaking the OpenAI wire protocol, scripted to keep calling.
#include <gtest/gtest.h>

#include "sim/sim_device.h"
#include "support/fake_openai.h"
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

std::vector<std::pair<std::string, json>> config_for(const FakeOpenAi& llm,
                                                     std::vector<std::pair<std::string, json>> more) {
  std::vector<std::pair<std::string, json>> o = {{"LLM.OpenAILLM.base_url", llm.url()},
                                                 {"LLM.OpenAILLM.api_key", "sk-test"}};
  for (auto& m : more) o.push_back(std::move(m));
  return o;
}

FakeReply calls(std::string name, int n) {
  FakeReply r;
  for (int i = 0; i < n; ++i) r.tool_calls.push_back(FakeToolCall{"", name, "{}"});
  return r;
}

std::vector<json> tool_messages(const json& request) {
  std::vector<json> out;
  for (const auto& m : request["messages"])
    if (m.value("role", "") == "tool") out.push_back(m);
  return out;
}

// Types `text` and waits for the reply to end; the reply as the device saw it.
Task<TurnRecord> typed_turn(std::string url, std::string text) {
  // Its own statement: g++ 12 mis-copies a temporary (the default profile)
  // made in a full-expression that also has a co_await.
  auto ex = co_await boost::asio::this_coro::executor;
  SimDevice dev(ex);
  ConnectOptions o;
  o.url = url;
  co_await dev.connect(o);
  EXPECT_TRUE(co_await dev.wait_hello());
  dev.listen_detect(std::move(text));
  EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 30s)) << "the reply never ended";
  co_return dev.turns().empty() ? TurnRecord{} : dev.turns().back();
}

}  // namespace

TEST(ToolLoop, AModelThatCallsToolsForeverIsStoppedAfterMaxToolRounds) {
  FakeOpenAi fake;
  // Whatever it is asked, with tools offered or not, it calls one more tool.
  fake.set_default_reply([](const json&) { return calls("get_time", 1); });
  TestServer server(config_for(fake, {{"max_tool_rounds", 3}, {"tool_limit_response", "I have to stop here."}}));
  ClientLoop loop;
  auto turn = loop.run(typed_turn(server.ws_url(), "what time is it"));
  EXPECT_EQ(turn.sentences, std::vector<std::string>{"I have to stop here."});
  EXPECT_EQ(turn.tool_hints.size(), 3u) << "three rounds of tools ran";
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 4u) << "three rounds with tools, then one without";
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(requests[i].json.contains("tools")) << i;
  EXPECT_FALSE(requests[3].json.contains("tools")) << "the last round offers no tools";
  EXPECT_EQ(tool_messages(requests[3].json).size(), 3u) << "the calls the model made past the limit never ran";
}

TEST(ToolLoop, CallsBeyondThePerRoundCapAreAnsweredWithAnErrorNotRun) {
  FakeOpenAi fake;
  fake.push_reply(calls("get_time", 12));
  FakeReply answer;
  answer.tokens = {"It is tea time."};
  fake.push_reply(answer);
  TestServer server(config_for(fake, {{"max_tool_calls_per_round", 4}}));
  ClientLoop loop;
  auto turn = loop.run(typed_turn(server.ws_url(), "what time is it, twelve times"));
  EXPECT_EQ(turn.sentences, std::vector<std::string>{"It is tea time."});
  EXPECT_EQ(turn.tool_hints.size(), 4u) << "only the calls that run are shown";
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 2u);
  auto results = tool_messages(requests[1].json);
  ASSERT_EQ(results.size(), 12u) << "every call id is answered";
  int refused = 0;
  for (const auto& r : results)
    if (r["content"].get<std::string>().find("not run") != std::string::npos) ++refused;
  EXPECT_EQ(refused, 8);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(results[i]["content"].get<std::string>().find("error"), std::string::npos) << results[i].dump();
}
