#include "providers/llm/dify_llm.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "vendor_llm_fixture.h"
#include "providers/llm/tool_call_text.h"
#include "support/fake_llm_apis.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Runtime;
using xz::providers::DifyLlm;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using namespace xz::test;

namespace {

class DifyLlmTest : public VendorLlmTest<DifyLlm> {
 protected:
  void SetUp() override {
    VendorLlmTest::SetUp();
    fake.set_api_key("app-secret");
  }
  EngineConfig config() const { return {{"type", "dify"}, {"base_url", fake.url() + "/v1"}, {"api_key", "app-secret"}}; }
};

}  // namespace

TEST_F(DifyLlmTest, ConfigIsValidatedWithTheKeyNamed) {
  EXPECT_EQ(config_error(config()), "");
  auto no_key = config();
  no_key["api_key"] = "";
  EXPECT_EQ(config_error(no_key).rfind("api_key: missing", 0), 0u);
  auto bad_mode = config();
  bad_mode["mode"] = "agents";
  EXPECT_EQ(config_error(bad_mode), "mode: 'agents' is not one of chat-messages, completion-messages, workflows/run");
  auto bad_inputs = config();
  bad_inputs["inputs"] = "x";
  EXPECT_EQ(config_error(bad_inputs), "inputs: not a mapping");
  EXPECT_EQ(DifyLlm(json{{"api_key", "k"}}, ctx).endpoint(), "https://api.dify.ai/v1/chat-messages");
  EXPECT_FALSE(DifyLlm(config(), ctx).supports_tools());
}

TEST_F(DifyLlmTest, FirstTurnSendsTheQueryAndStreamsTheAnswer) {
  fake.push_reply({.tokens = {"你好", "，", "我是", "小智"}, .token_interval = 60ms});
  auto cfg = config();
  cfg["inputs"] = {{"name", "XiaoZhi"}};
  DifyLlm llm(cfg, ctx);
  auto a = run(llm, ask("你好"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "你好，我是小智");
  ASSERT_EQ(a.deltas.size(), 4u);
  auto sent = fake.token_send_times();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_LT(a.times.front(), sent.back() - 100ms) << "the answer was not streamed";

  auto seen = fake.last_request();
  EXPECT_EQ(seen.path, "/v1/chat-messages");
  EXPECT_EQ(seen.headers["authorization"], "Bearer app-secret");
  const json& b = seen.json;
  EXPECT_EQ(b["query"], "你好");
  EXPECT_EQ(b["response_mode"], "streaming");
  EXPECT_EQ(b["user"], "xiaozhi");
  EXPECT_EQ(b["conversation_id"], "");
  EXPECT_EQ(b["inputs"], (json{{"name", "XiaoZhi"}}));
  EXPECT_EQ(llm.conversations().size(), 1u);
}

TEST_F(DifyLlmTest, TheNextTurnContinuesTheConversationWithOnlyTheNewInput) {
  DifyLlm llm(config(), ctx);
  auto first = run(llm, ask("hello there"));
  ASSERT_EQ(first.error, "");
  ChatRequest next = ask("hello there");
  next.messages.push_back(message("assistant", first.text));
  next.messages.push_back(message("user", "what can you do"));
  auto second = run(llm, next);
  ASSERT_EQ(second.error, "");
  EXPECT_EQ(second.text, "what can you do");
  auto seen = fake.last_request().json;
  EXPECT_EQ(seen["conversation_id"], "conv-1");
  EXPECT_EQ(seen["query"], "what can you do");

  // Another session with a different history starts its own conversation, carrying
  // its earlier turns along.
  ChatRequest other = ask("hello there");
  other.messages.push_back(message("assistant", "Something else entirely"));
  other.messages.push_back(message("user", "what can you do"));
  auto third = run(llm, other);
  ASSERT_EQ(third.error, "");
  auto fresh = fake.last_request().json;
  EXPECT_EQ(fresh["conversation_id"], "");
  EXPECT_EQ(fresh["query"],
            "Conversation so far:\nUser: hello there\nAssistant: Something else entirely\n\nwhat can you do");
}

TEST_F(DifyLlmTest, TextProtocolToolsGoInTheQueryAndResultsComeBackAsTheNextQuery) {
  std::vector<xz::providers::ToolSchema> tools = {
      {.name = "get_weather", .description = "Weather", .parameters = {{"type", "object"}}}};
  std::string tool_section = xz::providers::tool_call_prompt(tools);
  ChatRequest req;
  req.messages = {message("system", "You are XiaoZhi.\n\n" + tool_section), message("user", "weather in Paris?")};
  fake.push_reply({.tokens = {"<tool_call>{\"name\": \"get_weather\", ", "\"arguments\": {\"city\": \"Paris\"}}</tool_call>"}});
  DifyLlm llm(config(), ctx);
  auto a = run(llm, req);
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(fake.last_request().json["query"], tool_section + "\n\nweather in Paris?");

  // The dialogue parsed the call, ran the tool, and asks again with the result.
  ChatMessage call = message("assistant", "");
  call.tool_calls = {{.id = "call_1", .name = "get_weather", .arguments = R"({"city":"Paris"})"}};
  ChatMessage result = message("tool", "sunny");
  result.tool_call_id = "call_1";
  req.messages.push_back(call);
  req.messages.push_back(result);
  fake.push_reply({.tokens = {"It is sunny."}});
  auto b = run(llm, req);
  ASSERT_EQ(b.error, "");
  EXPECT_EQ(b.text, "It is sunny.");
  auto seen = fake.last_request().json;
  EXPECT_EQ(seen["conversation_id"], "conv-1");
  EXPECT_EQ(seen["query"], "Tool result (get_weather): sunny");
}

TEST_F(DifyLlmTest, AConversationDifyDroppedIsStartedAgain) {
  DifyLlm llm(config(), ctx);
  auto first = run(llm, ask("one"));
  ASSERT_EQ(first.error, "");
  fake.forget_conversations();
  ChatRequest next = ask("one");
  next.messages.push_back(message("assistant", first.text));
  next.messages.push_back(message("user", "two"));
  auto second = run(llm, next);
  ASSERT_EQ(second.error, "");
  EXPECT_EQ(second.text, "Conversation so far:\nUser: one\nAssistant: one\n\ntwo");  // echoed fresh query
  auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[1].json["conversation_id"], "conv-1");  // answered 404
  EXPECT_EQ(reqs[2].json["conversation_id"], "");
}

TEST_F(DifyLlmTest, OtherModes) {
  auto completion = config();
  completion["mode"] = "completion-messages";
  DifyLlm c(completion, ctx);
  auto a = run(c, ask("complete me"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "complete me");
  auto seen = fake.last_request();
  EXPECT_EQ(seen.path, "/v1/completion-messages");
  EXPECT_EQ(seen.json["inputs"]["query"], "complete me");
  EXPECT_FALSE(seen.json.contains("conversation_id"));

  auto workflow = config();
  workflow["mode"] = "workflows/run";
  DifyLlm w(workflow, ctx);
  auto b = run(w, ask("run the flow"));
  ASSERT_EQ(b.error, "");
  EXPECT_EQ(b.text, "run the flow");
  EXPECT_EQ(b.deltas.size(), 3u);  // text_chunk events, not the final outputs again
  EXPECT_EQ(fake.last_request().path, "/v1/workflows/run");
}

TEST_F(DifyLlmTest, ErrorsAreReadable) {
  auto wrong_key = config();
  wrong_key["api_key"] = "app-wrong";
  DifyLlm bad(wrong_key, ctx);
  auto denied = run(bad, ask("x"));
  EXPECT_NE(denied.error.find("HTTP 401"), std::string::npos) << denied.error;
  EXPECT_NE(denied.error.find("Access token is invalid"), std::string::npos) << denied.error;

  DifyLlm llm(config(), ctx);
  fake.push_reply({.tokens = {"a"}, .stream_error = "Model quota exceeded"});
  auto failed = run(llm, ask("x"));
  EXPECT_NE(failed.error.find("Model quota exceeded"), std::string::npos) << failed.error;
  fake.push_reply({.tokens = {"a", "b"}, .omit_end = true});
  auto cut = run(llm, ask("x"));
  EXPECT_NE(cut.error.find("ended before message_end"), std::string::npos) << cut.error;
  fake.push_reply({.http_status = 500});
  auto server = run(llm, ask("x"));
  EXPECT_NE(server.error.find("HTTP 500"), std::string::npos) << server.error;
  EXPECT_EQ(run(llm, ask("fine")).text, "fine");
}

TEST_F(DifyLlmTest, BargeInDropsTheConnectionWithinMilliseconds) {
  fake.push_reply({.tokens = std::vector<std::string>(30, " word"), .token_interval = 50ms});
  DifyLlm llm(config(), ctx);
  auto r = run_on(rt.loop(0), barge_in_after(llm, ask("talk"), 2));
  EXPECT_EQ(r.error, "");
  EXPECT_FALSE(r.chat_won);
  EXPECT_LT(r.returned - r.barge_in, 10ms) << micros(r.returned - r.barge_in) << " us";
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s));
  EXPECT_EQ(llm.conversations().size(), 0u) << "an interrupted answer is no conversation to continue";
}
