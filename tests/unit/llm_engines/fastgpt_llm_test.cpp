#include "providers/llm/fastgpt_llm.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "vendor_llm_fixture.h"
#include "providers/llm/tool_call_text.h"
#include "support/child_process.h"
#include "support/fake_llm_apis.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Runtime;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::FastGptLlm;
using xz::providers::ProviderContext;
using xz::providers::parse_fastgpt_event;
using namespace xz::test;

namespace {

class FastGptLlmTest : public VendorLlmTest<FastGptLlm> {
 protected:
  void SetUp() override {
    VendorLlmTest::SetUp();
    fake.set_api_key("fastgpt-secret");
  }
  EngineConfig config() const {
    return {{"type", "fastgpt"}, {"base_url", fake.url() + "/api/v1"}, {"api_key", "fastgpt-secret"}};
  }
};

}  // namespace

TEST(FastGptEvents, AnswersDoneAndErrorsAreRead) {
  auto chunk = R"({"id":"c","object":"","created":0,"model":"","choices":[{"delta":{"role":"assistant","content":"你好"},"index":0,"finish_reason":null}]})";
  EXPECT_EQ(parse_fastgpt_event("message", chunk).text, "你好");
  EXPECT_EQ(parse_fastgpt_event("answer", chunk).text, "你好");
  EXPECT_FALSE(parse_fastgpt_event("answer", chunk).done);
  EXPECT_TRUE(parse_fastgpt_event("message", "[DONE]").done);
  EXPECT_TRUE(parse_fastgpt_event("answer", R"({"choices":[{"delta":{"content":null},"finish_reason":"stop"}]})").done);
  // Workflow events carry no answer, whatever their data.
  EXPECT_EQ(parse_fastgpt_event("flowNodeStatus", R"({"status":"running","name":"AI 对话"})").text, "");
  EXPECT_EQ(parse_fastgpt_event("flowResponses", "[1, 2]").text, "");
  // Data of the wrong shapes is no answer, never a type error.
  EXPECT_EQ(parse_fastgpt_event("message", R"({"choices":"x"})").text, "");
  EXPECT_EQ(parse_fastgpt_event("message", R"({"choices":[{"delta":{"content":5}}]})").text, "");
  EXPECT_THROW(parse_fastgpt_event("message", "not json"), std::runtime_error);
  try {
    parse_fastgpt_event("error", R"({"code":514,"statusText":"unAuthApiKey","message":"Api Key不合法","data":null})");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "FastGPT error: Api Key不合法 (unAuthApiKey)");
  }
}

TEST_F(FastGptLlmTest, ConfigIsValidatedWithTheKeyNamed) {
  EXPECT_EQ(config_error(config()), "");
  auto no_key = config();
  no_key["api_key"] = "";
  EXPECT_EQ(config_error(no_key).rfind("api_key: missing", 0), 0u);
  auto no_url = config();
  no_url.erase("base_url");
  EXPECT_EQ(config_error(no_url), "base_url: missing (set base_url or url)");
  auto bad_vars = config();
  bad_vars["variables"] = json::array({1});
  EXPECT_EQ(config_error(bad_vars), "variables: not a mapping");
  EXPECT_EQ(FastGptLlm(json{{"url", "https://cloud.fastgpt.cn/api/v1/"}, {"api_key", "k"}}, ctx).endpoint(),
            "https://cloud.fastgpt.cn/api/v1/chat/completions");
  EXPECT_FALSE(FastGptLlm(config(), ctx).supports_tools());
}

TEST_F(FastGptLlmTest, AnswerStreamsAndTheRequestIsTheReferences) {
  fake.push_reply({.tokens = {"你好", "，", "我是", "小智"}, .token_interval = 60ms});
  auto cfg = config();
  cfg["variables"] = {{"k", "v"}, {"k2", "v2"}};
  FastGptLlm llm(cfg, ctx);
  auto a = run(llm, ask("你好"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "你好，我是小智");
  ASSERT_EQ(a.deltas.size(), 4u);
  auto sent = fake.token_send_times();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_LT(a.times.front(), sent.back() - 100ms) << "the answer was not streamed";

  auto seen = fake.last_request();
  EXPECT_EQ(seen.path, "/api/v1/chat/completions");
  EXPECT_EQ(seen.headers["authorization"], "Bearer fastgpt-secret");
  const json& b = seen.json;
  EXPECT_EQ(b["stream"], true);
  EXPECT_EQ(b["detail"], false);
  EXPECT_EQ(b["variables"], (json{{"k", "v"}, {"k2", "v2"}}));
  EXPECT_EQ(b["messages"], json::parse(R"([{"role":"user","content":"你好"}])"));
  EXPECT_TRUE(b["chatId"].get<std::string>().starts_with("xiaozhi-"));
}

TEST_F(FastGptLlmTest, TheNextTurnContinuesTheChatIdWithOnlyTheNewWords) {
  FastGptLlm llm(config(), ctx);
  auto first = run(llm, ask("hello there"));
  ASSERT_EQ(first.error, "");
  const std::string chat_id = fake.last_request().json["chatId"];
  ChatRequest next = ask("hello there");
  next.messages.push_back(message("assistant", first.text));
  next.messages.push_back(message("user", "what can you do"));
  auto second = run(llm, next);
  ASSERT_EQ(second.error, "");
  auto seen = fake.last_request().json;
  EXPECT_EQ(seen["chatId"], chat_id);
  EXPECT_EQ(seen["messages"][0]["content"], "what can you do");

  // Another session (another history) gets its own chat, with its earlier turns folded in.
  ChatRequest other = ask("hello there");
  other.messages.push_back(message("assistant", "Something else"));
  other.messages.push_back(message("user", "what can you do"));
  ASSERT_EQ(run(llm, other).error, "");
  auto fresh = fake.last_request().json;
  EXPECT_NE(fresh["chatId"], chat_id);
  EXPECT_EQ(fresh["messages"][0]["content"],
            "Conversation so far:\nUser: hello there\nAssistant: Something else\n\nwhat can you do");
}

TEST_F(FastGptLlmTest, DetailStreamsSkipWorkflowEvents) {
  auto cfg = config();
  cfg["detail"] = true;
  FastGptLlm llm(cfg, ctx);
  auto a = run(llm, ask("one two three"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "one two three");
  EXPECT_EQ(fake.last_request().json["detail"], true);
}

TEST_F(FastGptLlmTest, TextProtocolToolsGoInFrontOfANewChatsQuestion) {
  std::vector<xz::providers::ToolSchema> tools = {
      {.name = "get_weather", .description = "Weather", .parameters = {{"type", "object"}}}};
  std::string tool_section = xz::providers::tool_call_prompt(tools);
  ChatRequest req;
  req.messages = {message("system", "You are XiaoZhi.\n\n" + tool_section), message("user", "weather in Paris?")};
  FastGptLlm llm(config(), ctx);
  ASSERT_EQ(run(llm, req).error, "");
  EXPECT_EQ(fake.last_request().json["messages"][0]["content"], tool_section + "\n\nweather in Paris?");
}

TEST_F(FastGptLlmTest, VendorErrorsNameTheEngineAndTheNextTurnWorks) {
  auto wrong_key = config();
  wrong_key["api_key"] = "fastgpt-wrong";
  FastGptLlm bad(wrong_key, ctx);
  auto denied = run(bad, ask("x"));
  EXPECT_EQ(denied.error, "FastGPT error: Api Key不合法 (unAuthApiKey)");

  FastGptLlm llm(config(), ctx);
  fake.push_reply({.tokens = {"a"}, .stream_error = "AI model quota exceeded"});
  auto failed = run(llm, ask("x"));
  EXPECT_EQ(failed.error, "FastGPT error: AI model quota exceeded");
  EXPECT_EQ(failed.text, "a");
  fake.push_reply({.tokens = {"a", "b"}, .omit_end = true});
  auto cut = run(llm, ask("x"));
  EXPECT_EQ(cut.error, "FastGPT stream ended before [DONE] (incomplete answer)");
  fake.push_reply({.http_status = 500});
  auto server = run(llm, ask("x"));
  EXPECT_EQ(server.error, "FastGPT HTTP 500: fake error 500");
  EXPECT_EQ(llm.chats().size(), 0u) << "a failed answer is no chat to continue";
  EXPECT_EQ(run(llm, ask("fine")).text, "fine");
}

TEST_F(FastGptLlmTest, EndpointDownIsAnErrorNamingTheEngine) {
  auto cfg = config();
  cfg["base_url"] = "http://127.0.0.1:" + std::to_string(free_port()) + "/api/v1";
  FastGptLlm llm(cfg, ctx);
  auto a = run(llm, ask("x"));
  EXPECT_TRUE(a.error.starts_with("FastGPT: ")) << a.error;
  EXPECT_EQ(a.text, "");
}

TEST_F(FastGptLlmTest, AStallPastTheTimeoutIsAnError) {
  auto cfg = config();
  cfg["timeout"] = 0.4;
  FastGptLlm llm(cfg, ctx);
  fake.push_reply({.hang = true});
  auto start = Clock::now();
  auto silent = run(llm, ask("hi"));
  EXPECT_NE(silent.error.find("timed out after 400 ms"), std::string::npos) << silent.error;
  EXPECT_TRUE(silent.error.starts_with("FastGPT: ")) << silent.error;
  EXPECT_LT(Clock::now() - start, 2s);
  // A stream that stops after its first piece.
  fake.push_reply({.tokens = {"first", " never"}, .token_interval = 5s});
  auto stalled = run(llm, ask("hi"));
  EXPECT_NE(stalled.error.find("timed out"), std::string::npos) << stalled.error;
  EXPECT_EQ(stalled.text, "first");
  EXPECT_TRUE(fake.wait_for_client_disconnects(2, 2s));
}

TEST_F(FastGptLlmTest, BargeInDropsTheConnectionWithinMilliseconds) {
  fake.push_reply({.tokens = std::vector<std::string>(30, " word"), .token_interval = 50ms});
  FastGptLlm llm(config(), ctx);
  auto r = run_on(rt.loop(0), barge_in_after(llm, ask("talk"), 2));
  EXPECT_EQ(r.error, "");
  EXPECT_FALSE(r.chat_won);
  EXPECT_LT(r.returned - r.barge_in, 10ms) << micros(r.returned - r.barge_in) << " us";
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s));
  EXPECT_LT(fake.token_send_times().size(), 30u);
  EXPECT_EQ(llm.chats().size(), 0u) << "an interrupted answer is no chat to continue";
}
