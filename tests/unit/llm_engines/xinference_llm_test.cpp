#include "providers/llm/xinference_llm.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "engine_test_util.h"
#include "providers/llm/openai_llm.h"
#include "support/child_process.h"
#include "support/fake_openai.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Runtime;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using xz::providers::XinferenceLlm;
using xz::providers::xinference_openai_config;
using namespace xz::test;

namespace {

// "http://127.0.0.1:PORT" of a FakeOpenAi (its url() ends in /v1).
std::string origin(const FakeOpenAi& fake) { return "http://127.0.0.1:" + std::to_string(fake.port()); }

class XinferenceLlmTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }
  EngineConfig config() const {
    return {{"type", "xinference"}, {"model_name", "qwen2.5:72b-AWQ"}, {"base_url", origin(fake)}};
  }
  Answer run(XinferenceLlm& llm, ChatRequest req) { return run_on(rt.loop(0), gather(llm, std::move(req))); }

  Runtime rt{1, 1};
  ProviderContext ctx{rt.pool()};
  FakeOpenAi fake;
};

}  // namespace

TEST(XinferenceConfig, TheReferencesUrlRuleAndKey) {
  auto c = xinference_openai_config(json{{"model_name", "m"}});
  EXPECT_EQ(c["base_url"], "http://localhost:9997/v1");
  EXPECT_EQ(c["api_key"], "xinference");
  EXPECT_EQ(xinference_openai_config(json{{"model_name", "m"}, {"base_url", "http://gpu:9997/"}})["base_url"],
            "http://gpu:9997/v1");
  EXPECT_EQ(xinference_openai_config(json{{"model_name", "m"}, {"base_url", "http://gpu:9997/v1"}})["base_url"],
            "http://gpu:9997/v1");
  EXPECT_EQ(xinference_openai_config(json{{"model_name", "m"}, {"api_key", "sk-own"}})["api_key"], "sk-own");
  // The other OpenAI keys pass through.
  EXPECT_EQ(xinference_openai_config(json{{"model_name", "m"}, {"temperature", 0.2}})["temperature"], 0.2);
  EXPECT_THROW(xinference_openai_config(json{{"model_name", "m"}, {"base_url", "gpu:9997"}}), EngineConfigError);
}

TEST_F(XinferenceLlmTest, ConfigNeedsAModel) {
  try {
    XinferenceLlm llm(json{{"type", "xinference"}}, ctx);
    FAIL() << "no error";
  } catch (const EngineConfigError& e) {
    EXPECT_STREQ(e.what(), "model_name: missing");
  }
  XinferenceLlm llm(config(), ctx);
  EXPECT_EQ(llm.openai().endpoint(), origin(fake) + "/v1/chat/completions");
  EXPECT_TRUE(llm.supports_tools());
}

TEST_F(XinferenceLlmTest, AnswerStreamsFromTheOpenAiApiAtV1) {
  fake.push_reply({.tokens = {"Hel", "lo", " there"}, .token_interval = 60ms});
  XinferenceLlm llm(config(), ctx);
  auto a = run(llm, ask("hi"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "Hello there");
  auto sent = fake.token_send_times();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_LT(a.times.front(), sent.back() - 60ms) << "the answer was not streamed";
  auto seen = fake.last_request();
  EXPECT_EQ(seen.path, "/v1/chat/completions");
  EXPECT_EQ(seen.headers["authorization"], "Bearer xinference");
  EXPECT_EQ(seen.json["model"], "qwen2.5:72b-AWQ");
  EXPECT_EQ(seen.json["stream"], true);
}

TEST_F(XinferenceLlmTest, ToolsArePassedNatively) {
  fake.push_reply({.tool_calls = {{.id = "call_1", .name = "get_weather", .arguments = R"({"city":"Paris"})"}}});
  XinferenceLlm llm(config(), ctx);
  ChatRequest req = ask("weather?");
  req.tools = {{.name = "get_weather", .description = "Weather", .parameters = {{"type", "object"}}}};
  auto a = run(llm, req);
  ASSERT_EQ(a.error, "");
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls[0].name, "get_weather");
  EXPECT_EQ(json::parse(a.calls[0].arguments), (json{{"city", "Paris"}}));
  EXPECT_EQ(fake.last_request().json["tools"][0]["function"]["name"], "get_weather");
}

TEST_F(XinferenceLlmTest, FailuresNameTheEngine) {
  fake.push_reply({.http_status = 400, .error_body = R"({"detail":"Model not found in the model list, uid: qwen"})"});
  XinferenceLlm llm(config(), ctx);
  auto a = run(llm, ask("hi"));
  EXPECT_TRUE(a.error.starts_with("Xinference: ")) << a.error;
  EXPECT_NE(a.error.find("HTTP 400"), std::string::npos) << a.error;
  EXPECT_NE(a.error.find("Model not found"), std::string::npos) << a.error;

  auto down = config();
  down["base_url"] = "http://127.0.0.1:" + std::to_string(free_port());
  XinferenceLlm gone(down, ctx);
  auto b = run(gone, ask("hi"));
  EXPECT_TRUE(b.error.starts_with("Xinference: ")) << b.error;

  auto slow = config();
  slow["timeout"] = 0.3;
  XinferenceLlm stalled(slow, ctx);
  fake.push_reply({.hang = true});
  auto c = run(stalled, ask("hi"));
  EXPECT_TRUE(c.error.starts_with("Xinference: ")) << c.error;
  EXPECT_NE(c.error.find("timed out after 300 ms"), std::string::npos) << c.error;
  EXPECT_EQ(run(llm, ask("fine")).text, "fine");
}

TEST_F(XinferenceLlmTest, BargeInDropsTheConnectionWithinMilliseconds) {
  fake.push_reply({.tokens = std::vector<std::string>(30, " word"), .token_interval = 50ms});
  XinferenceLlm llm(config(), ctx);
  auto r = run_on(rt.loop(0), barge_in_after(llm, ask("talk"), 2));
  EXPECT_EQ(r.error, "");
  EXPECT_FALSE(r.chat_won);
  EXPECT_LT(r.returned - r.barge_in, 10ms) << micros(r.returned - r.barge_in) << " us";
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s));
}
