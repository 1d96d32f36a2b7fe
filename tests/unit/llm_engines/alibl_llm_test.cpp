#include "providers/llm/alibl_llm.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "vendor_llm_fixture.h"
#include "support/child_process.h"
#include "support/fake_llm_apis.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Runtime;
using xz::providers::AliBlLlm;
using xz::providers::dashscope_api_base;
using xz::providers::dashscope_error_message;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::parse_dashscope_event;
using xz::providers::ProviderContext;
using namespace xz::test;

namespace {

class AliBlLlmTest : public VendorLlmTest<AliBlLlm> {
 protected:
  void SetUp() override {
    VendorLlmTest::SetUp();
    fake.set_api_key("sk-dashscope");
  }
  EngineConfig config() const {
    return {{"type", "AliBL"}, {"base_url", fake.url() + "/api/v1"}, {"app_id", "app123"}, {"api_key", "sk-dashscope"}};
  }
};

}  // namespace

TEST(DashScopeWire, ApiBaseAndEvents) {
  EXPECT_EQ(dashscope_api_base("https://dashscope.aliyuncs.com/compatible-mode/v1"), "https://dashscope.aliyuncs.com/api/v1");
  EXPECT_EQ(dashscope_api_base("https://dashscope.aliyuncs.com/"), "https://dashscope.aliyuncs.com/api/v1");
  EXPECT_EQ(dashscope_api_base("https://dashscope-intl.aliyuncs.com/api/v1/"), "https://dashscope-intl.aliyuncs.com/api/v1");
  EXPECT_EQ(dashscope_api_base("http://127.0.0.1:8080/proxy/api/v1"), "http://127.0.0.1:8080/proxy/api/v1");

  auto piece = parse_dashscope_event("result", R"({"output":{"session_id":"s","finish_reason":"null","text":"我是"},"request_id":"r"})");
  EXPECT_EQ(piece.text, "我是");
  EXPECT_FALSE(piece.done);
  auto last = parse_dashscope_event("result", R"({"output":{"finish_reason":"stop","text":""}})");
  EXPECT_TRUE(last.done);
  // Shapes that are not DashScope's carry nothing and throw no type error.
  EXPECT_EQ(parse_dashscope_event("result", R"({"output":{"text":7}})").text, "");
  EXPECT_EQ(parse_dashscope_event("result", R"({"output":"x"})").text, "");
  EXPECT_THROW(parse_dashscope_event("result", "{"), std::runtime_error);
  try {
    parse_dashscope_event("error", R"({"code":"InvalidParameter","message":"App not found","request_id":"r"})");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "AliBL error: InvalidParameter: App not found");
  }
  EXPECT_EQ(dashscope_error_message(R"({"code":"InvalidApiKey","message":"Invalid API-key provided."})"),
            "InvalidApiKey: Invalid API-key provided.");
  EXPECT_EQ(dashscope_error_message("id:1\nevent:error\n:HTTP_STATUS/401\ndata:{\"code\":\"InvalidApiKey\",\"message\":\"x\"}"),
            "InvalidApiKey: x");
  EXPECT_EQ(dashscope_error_message(""), "(empty body)");
}

TEST_F(AliBlLlmTest, ConfigIsValidatedWithTheKeyNamed) {
  EXPECT_EQ(config_error(config()), "");
  auto no_app = config();
  no_app.erase("app_id");
  EXPECT_EQ(config_error(no_app).rfind("app_id: missing", 0), 0u);
  auto no_key = config();
  no_key["api_key"] = "";
  EXPECT_EQ(config_error(no_key).rfind("api_key: missing", 0), 0u);
  auto odd_app = config();
  odd_app["app_id"] = "a/../b";
  EXPECT_EQ(config_error(odd_app).rfind("app_id: not an application id", 0), 0u);
  auto memory_true = config();
  memory_true["ali_memory_id"] = true;
  EXPECT_EQ(config_error(memory_true).rfind("ali_memory_id:", 0), 0u);
  // The reference's default entry: its compatible-mode base_url means the API host.
  json reference = {{"type", "AliBL"}, {"base_url", "https://dashscope.aliyuncs.com/compatible-mode/v1"},
                    {"app_id", "abc"}, {"api_key", "k"}, {"is_no_prompt", true}, {"ali_memory_id", false}};
  AliBlLlm llm(reference, ctx);
  EXPECT_EQ(llm.endpoint(), "https://dashscope.aliyuncs.com/api/v1/apps/abc/completion");
  EXPECT_FALSE(llm.supports_tools());
}

TEST_F(AliBlLlmTest, RequestBodyFollowsIsNoPromptAndMemoryId) {
  std::vector<ChatMessage> dialogue = {message("system", "You are XiaoZhi."), message("user", "hi"),
                                       message("assistant", "hello"), message("user", "remember I like tea")};
  AliBlLlm no_prompt(config(), ctx);
  json b = no_prompt.request_body(dialogue);
  EXPECT_EQ(b["input"]["messages"], json::parse(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},
                                                  {"role":"user","content":"remember I like tea"}])"));
  EXPECT_FALSE(b["input"].contains("memory_id"));
  EXPECT_FALSE(b["input"].contains("prompt"));
  EXPECT_EQ(b["parameters"]["incremental_output"], true);

  auto cfg = config();
  cfg["is_no_prompt"] = false;
  cfg["ali_memory_id"] = "mem-42";
  AliBlLlm with_memory(cfg, ctx);
  json m = with_memory.request_body(dialogue);
  EXPECT_EQ(m["input"]["messages"][0], (json{{"role", "system"}, {"content", "You are XiaoZhi."}}));
  EXPECT_EQ(m["input"]["memory_id"], "mem-42");
  EXPECT_EQ(m["input"]["prompt"], "remember I like tea");
}

TEST_F(AliBlLlmTest, AnswerStreamsIncrementally) {
  fake.push_reply({.tokens = {"你好", "，", "我是", "小智"}, .token_interval = 60ms});
  AliBlLlm llm(config(), ctx);
  auto a = run(llm, ask("你好"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "你好，我是小智");  // pieces, not the growing whole text
  ASSERT_EQ(a.deltas.size(), 4u);
  auto sent = fake.token_send_times();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_LT(a.times.front(), sent.back() - 100ms) << "the answer was not streamed";
  auto seen = fake.last_request();
  EXPECT_EQ(seen.path, "/api/v1/apps/app123/completion");
  EXPECT_EQ(seen.headers["authorization"], "Bearer sk-dashscope");
  EXPECT_EQ(seen.headers["x-dashscope-sse"], "enable");
  EXPECT_EQ(seen.json["input"]["messages"], json::parse(R"([{"role":"user","content":"你好"}])"));
}

TEST_F(AliBlLlmTest, VendorErrorsNameTheEngineAndTheNextTurnWorks) {
  auto wrong = config();
  wrong["api_key"] = "sk-wrong";
  AliBlLlm bad(wrong, ctx);
  EXPECT_EQ(run(bad, ask("x")).error, "AliBL HTTP 401: InvalidApiKey: Invalid API-key provided.");

  AliBlLlm llm(config(), ctx);
  fake.push_reply({.http_status = 429});
  EXPECT_EQ(run(llm, ask("x")).error, "AliBL HTTP 429: Throttling.RateQuota: fake error 429");
  fake.push_reply({.http_status = 400, .error_body = R"({"code":"InvalidParameter","message":"App is not published"})"});
  EXPECT_EQ(run(llm, ask("x")).error, "AliBL HTTP 400: InvalidParameter: App is not published");
  fake.push_reply({.tokens = {"a"}, .stream_error = "Model inference failed"});
  auto failed = run(llm, ask("x"));
  EXPECT_EQ(failed.error, "AliBL error: InternalError: Model inference failed");
  EXPECT_EQ(failed.text, "a");
  fake.push_reply({.tokens = {"a", "b"}, .omit_end = true});
  EXPECT_EQ(run(llm, ask("x")).error, "AliBL stream ended before finish_reason stop (incomplete answer)");
  EXPECT_EQ(run(llm, ask("fine")).text, "fine");
}

TEST_F(AliBlLlmTest, EndpointDownAndStallsAreErrorsNamingTheEngine) {
  auto down = config();
  down["base_url"] = "http://127.0.0.1:" + std::to_string(free_port()) + "/api/v1";
  AliBlLlm gone(down, ctx);
  auto a = run(gone, ask("x"));
  EXPECT_TRUE(a.error.starts_with("AliBL: ")) << a.error;

  auto slow = config();
  slow["timeout"] = 0.4;
  AliBlLlm llm(slow, ctx);
  fake.push_reply({.tokens = {"first", " never"}, .token_interval = 5s});
  auto stalled = run(llm, ask("hi"));
  EXPECT_TRUE(stalled.error.starts_with("AliBL: ")) << stalled.error;
  EXPECT_NE(stalled.error.find("timed out after 400 ms"), std::string::npos) << stalled.error;
  EXPECT_EQ(stalled.text, "first");
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s));
}

TEST_F(AliBlLlmTest, BargeInDropsTheConnectionWithinMilliseconds) {
  fake.push_reply({.tokens = std::vector<std::string>(30, " word"), .token_interval = 50ms});
  AliBlLlm llm(config(), ctx);
  auto r = run_on(rt.loop(0), barge_in_after(llm, ask("talk"), 2));
  EXPECT_EQ(r.error, "");
  EXPECT_FALSE(r.chat_won);
  EXPECT_LT(r.returned - r.barge_in, 10ms) << micros(r.returned - r.barge_in) << " us";
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s));
  EXPECT_LT(fake.token_send_times().size(), 30u);
}
