#include "providers/llm/coze_llm.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "vendor_llm_fixture.h"
#include "providers/llm/tool_call_text.h"
#include "support/child_process.h"
#include "support/fake_llm_apis.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Runtime;
using xz::providers::coze_refusal;
using xz::providers::CozeLlm;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::parse_coze_event;
using xz::providers::ProviderContext;
using namespace xz::test;

namespace {

class CozeLlmTest : public VendorLlmTest<CozeLlm> {
 protected:
  void SetUp() override {
    VendorLlmTest::SetUp();
    fake.set_api_key("pat_secret");
  }
  EngineConfig config() const {
    return {{"type", "coze"},          {"base_url", fake.url()},        {"bot_id", "7351234567890"},
            {"user_id", "xiaozhi-user"}, {"personal_access_token", "pat_secret"}};
  }
};

}  // namespace

TEST(CozeEvents, DeltasEndsAndFailuresAreRead) {
  auto delta = parse_coze_event("conversation.message.delta",
                                R"({"id":"m","conversation_id":"c1","role":"assistant","type":"answer","content":"你好","content_type":"text"})");
  EXPECT_EQ(delta.text, "你好");
  EXPECT_EQ(delta.conversation_id, "c1");
  // Only answers are speech.
  EXPECT_EQ(parse_coze_event("conversation.message.delta", R"({"role":"assistant","type":"follow_up","content":"Ask me more?"})").text, "");
  EXPECT_EQ(parse_coze_event("conversation.message.completed", R"({"role":"assistant","type":"answer","content":"你好"})").text, "");
  EXPECT_EQ(parse_coze_event("conversation.chat.created", R"({"id":"x","conversation_id":"c2","status":"created"})").conversation_id, "c2");
  EXPECT_TRUE(parse_coze_event("conversation.chat.completed", R"({"id":"x","conversation_id":"c2","status":"completed"})").done);
  EXPECT_TRUE(parse_coze_event("done", "\"[DONE]\"").done);
  EXPECT_EQ(parse_coze_event("conversation.message.delta", R"({"content":["not text"]})").text, "");
  EXPECT_EQ(parse_coze_event("conversation.audio.delta", R"({"content":"AAAA"})").text, "");
  EXPECT_THROW(parse_coze_event("conversation.message.delta", "{"), std::runtime_error);
  auto message = [](std::string_view event, std::string_view data) {
    try {
      parse_coze_event(event, data);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  EXPECT_EQ(message("conversation.chat.failed", R"({"status":"failed","last_error":{"code":5000,"msg":"model busy"}})"),
            "Coze chat failed: 5000 model busy");
  EXPECT_EQ(message("error", R"({"code":4000,"msg":"Request parameter error"})"), "Coze error: 4000 Request parameter error");
  EXPECT_NE(message("conversation.chat.requires_action", R"({"status":"requires_action"})").find("requires_action"),
            std::string::npos);
  EXPECT_EQ(coze_refusal(R"({"code":4100,"msg":"authentication is invalid","detail":{"logid":"x"}})"),
            "4100 authentication is invalid");
  EXPECT_EQ(coze_refusal("event:done\n"), "");
}

TEST_F(CozeLlmTest, ConfigIsValidatedWithTheKeyNamed) {
  EXPECT_EQ(config_error(config()), "");
  for (const char* key : {"bot_id", "user_id", "personal_access_token"}) {
    auto cfg = config();
    cfg.erase(key);
    EXPECT_EQ(config_error(cfg).rfind(std::string(key) + ": missing", 0), 0u) << key;
  }
  // The reference's entry: numbers as YAML gives them, and its fixed coze.cn API.
  CozeLlm llm(json{{"bot_id", 7351234567890}, {"user_id", 42}, {"personal_access_token", "pat"}}, ctx);
  EXPECT_EQ(llm.endpoint(), "https://api.coze.cn/v3/chat");
  EXPECT_FALSE(llm.supports_tools());
}

TEST_F(CozeLlmTest, AnswerStreamsAndTheRequestIsCozesV3Chat) {
  fake.push_reply({.tokens = {"你好", "，", "我是", "小智"}, .token_interval = 60ms});
  CozeLlm llm(config(), ctx);
  auto a = run(llm, ask("你好"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "你好，我是小智");  // the completed message and the verbose packet are not repeated
  ASSERT_EQ(a.deltas.size(), 4u);
  auto sent = fake.token_send_times();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_LT(a.times.front(), sent.back() - 100ms) << "the answer was not streamed";
  auto seen = fake.last_request();
  EXPECT_EQ(seen.path, "/v3/chat");
  EXPECT_FALSE(seen.query.contains("conversation_id"));
  EXPECT_EQ(seen.headers["authorization"], "Bearer pat_secret");
  EXPECT_EQ(seen.json["bot_id"], "7351234567890");
  EXPECT_EQ(seen.json["user_id"], "xiaozhi-user");
  EXPECT_EQ(seen.json["stream"], true);
  EXPECT_EQ(seen.json["additional_messages"],
            json::parse(R"([{"role":"user","type":"question","content":"你好","content_type":"text"}])"));
  EXPECT_EQ(llm.conversations().size(), 1u);
}

TEST_F(CozeLlmTest, TheNextTurnContinuesTheConversationWithOnlyTheNewWords) {
  CozeLlm llm(config(), ctx);
  auto first = run(llm, ask("hello there"));
  ASSERT_EQ(first.error, "");
  ChatRequest next = ask("hello there");
  next.messages.push_back(message("assistant", first.text));
  next.messages.push_back(message("user", "what can you do"));
  auto second = run(llm, next);
  ASSERT_EQ(second.error, "");
  EXPECT_EQ(second.text, "what can you do");
  auto seen = fake.last_request();
  EXPECT_EQ(seen.query["conversation_id"], "7400000000000000001");
  EXPECT_EQ(seen.json["additional_messages"].size(), 1u);

  // Another session's history starts its own conversation and brings its turns along.
  ChatRequest other = ask("hello there");
  other.messages.push_back(message("assistant", "Something else"));
  other.messages.push_back(message("user", "what can you do"));
  ASSERT_EQ(run(llm, other).error, "");
  auto fresh = fake.last_request();
  EXPECT_FALSE(fresh.query.contains("conversation_id"));
  EXPECT_EQ(fresh.json["additional_messages"], json::parse(R"([
    {"role":"user","type":"question","content":"hello there","content_type":"text"},
    {"role":"assistant","type":"answer","content":"Something else","content_type":"text"},
    {"role":"user","type":"question","content":"what can you do","content_type":"text"}])"));
}

TEST_F(CozeLlmTest, AConversationCozeNoLongerHasIsStartedAgain) {
  CozeLlm llm(config(), ctx);
  auto first = run(llm, ask("one"));
  ASSERT_EQ(first.error, "");
  fake.forget_conversations();
  ChatRequest next = ask("one");
  next.messages.push_back(message("assistant", first.text));
  next.messages.push_back(message("user", "two"));
  auto second = run(llm, next);
  ASSERT_EQ(second.error, "");
  EXPECT_EQ(second.text, "two");
  auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_TRUE(reqs[1].query.contains("conversation_id"));  // refused: not found
  EXPECT_FALSE(reqs[2].query.contains("conversation_id"));
  EXPECT_EQ(reqs[2].json["additional_messages"].size(), 3u);
}

TEST_F(CozeLlmTest, TextProtocolToolsGoInFrontOfANewConversationsQuestion) {
  std::vector<xz::providers::ToolSchema> tools = {
      {.name = "get_weather", .description = "Weather", .parameters = {{"type", "object"}}}};
  std::string tool_section = xz::providers::tool_call_prompt(tools);
  ChatRequest req;
  req.messages = {message("system", "You are XiaoZhi.\n\n" + tool_section), message("user", "weather in Paris?")};
  CozeLlm llm(config(), ctx);
  ASSERT_EQ(run(llm, req).error, "");
  EXPECT_EQ(fake.last_request().json["additional_messages"][0]["content"], tool_section + "\n\nweather in Paris?");
}

TEST_F(CozeLlmTest, VendorErrorsNameTheEngineAndTheNextTurnWorks) {
  auto wrong = config();
  wrong["personal_access_token"] = "pat_wrong";
  CozeLlm bad(wrong, ctx);
  EXPECT_EQ(run(bad, ask("x")).error, "Coze HTTP 401: 4100 authentication is invalid");

  CozeLlm llm(config(), ctx);
  fake.push_reply({.error_body = R"({"code":4015,"msg":"The bot_id 7351234567890 has not been published to the channel Agent As API.","detail":{"logid":"l"}})"});
  EXPECT_EQ(run(llm, ask("x")).error,
            "Coze refused the request: 4015 The bot_id 7351234567890 has not been published to the channel Agent As API.");
  fake.push_reply({.tokens = {"a"}, .stream_error = "model overloaded"});
  auto failed = run(llm, ask("x"));
  EXPECT_EQ(failed.error, "Coze chat failed: 5000 model overloaded");
  EXPECT_EQ(failed.text, "a");
  fake.push_reply({.tokens = {"a", "b"}, .omit_end = true});
  EXPECT_EQ(run(llm, ask("x")).error, "Coze stream ended before conversation.chat.completed (incomplete answer)");
  fake.push_reply({.http_status = 502});
  EXPECT_EQ(run(llm, ask("x")).error, "Coze HTTP 502: 5000 fake error 502");
  EXPECT_EQ(llm.conversations().size(), 0u) << "failed answers are no conversation to continue";
  EXPECT_EQ(run(llm, ask("fine")).text, "fine");
}

TEST_F(CozeLlmTest, EndpointDownAndStallsAreErrorsNamingTheEngine) {
  auto down = config();
  down["base_url"] = "http://127.0.0.1:" + std::to_string(free_port());
  CozeLlm gone(down, ctx);
  auto a = run(gone, ask("x"));
  EXPECT_TRUE(a.error.starts_with("Coze: ")) << a.error;

  auto slow = config();
  slow["timeout"] = 0.4;
  CozeLlm llm(slow, ctx);
  fake.push_reply({.hang = true});
  auto silent = run(llm, ask("hi"));
  EXPECT_TRUE(silent.error.starts_with("Coze: ")) << silent.error;
  EXPECT_NE(silent.error.find("timed out after 400 ms"), std::string::npos) << silent.error;
  fake.push_reply({.tokens = {"first", " never"}, .token_interval = 5s});
  auto stalled = run(llm, ask("hi"));
  EXPECT_NE(stalled.error.find("timed out"), std::string::npos) << stalled.error;
  EXPECT_EQ(stalled.text, "first");
  EXPECT_TRUE(fake.wait_for_client_disconnects(2, 2s));
}

TEST_F(CozeLlmTest, BargeInDropsTheConnectionWithinMilliseconds) {
  fake.push_reply({.tokens = std::vector<std::string>(30, " word"), .token_interval = 50ms});
  CozeLlm llm(config(), ctx);
  auto r = run_on(rt.loop(0), barge_in_after(llm, ask("talk"), 2));
  EXPECT_EQ(r.error, "");
  EXPECT_FALSE(r.chat_won);
  EXPECT_LT(r.returned - r.barge_in, 10ms) << micros(r.returned - r.barge_in) << " us";
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s));
  EXPECT_EQ(llm.conversations().size(), 0u) << "an interrupted answer is no conversation to continue";
}
