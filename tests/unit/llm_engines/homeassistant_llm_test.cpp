#include "providers/llm/homeassistant_llm.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "vendor_llm_fixture.h"
#include "support/fake_llm_apis.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Runtime;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::HomeAssistantLlm;
using xz::providers::ProviderContext;
using namespace xz::test;

namespace {

class HomeAssistantLlmTest : public VendorLlmTest<HomeAssistantLlm> {
 protected:
  void SetUp() override {
    VendorLlmTest::SetUp();
    fake.set_api_key("ha-token");
  }
  EngineConfig config() const {
    return {{"type", "homeassistant"}, {"base_url", fake.url()}, {"api_key", "ha-token"}, {"agent_id", "conversation.chatgpt"}};
  }
};

// Cancels the chat after `after` (no delta arrives before HA answers).
Task<bool> chat_with_deadline(HomeAssistantLlm& llm, ChatRequest req, Clock::duration after) {
  xz::providers::ChatSink sink = [](const ChatDelta&) {};
  auto chat = llm.chat(std::move(req), std::move(sink));
  co_return co_await xz::core::with_timeout(std::move(chat), after);
}

}  // namespace

TEST_F(HomeAssistantLlmTest, ConfigIsValidatedWithTheKeyNamed) {
  EXPECT_EQ(config_error(config()), "");
  auto no_url = config();
  no_url.erase("base_url");
  EXPECT_EQ(config_error(no_url), "base_url: missing (set base_url or url)");
  auto no_key = config();
  no_key["api_key"] = nullptr;
  EXPECT_EQ(config_error(no_key).rfind("api_key: missing", 0), 0u);
  EngineConfig by_url = {{"url", "http://homeassistant.local:8123/"}, {"api_key", "t"}};
  EXPECT_EQ(HomeAssistantLlm(by_url, ctx).endpoint(), "http://homeassistant.local:8123/api/conversation/process");
  EXPECT_FALSE(HomeAssistantLlm(config(), ctx).supports_tools());
}

TEST_F(HomeAssistantLlmTest, SendsTheLastUserTextAndDeliversTheSpeechAsOneDelta) {
  auto cfg = config();
  cfg["language"] = "zh-cn";
  HomeAssistantLlm llm(cfg, ctx);
  fake.push_reply({.tokens = {"Turned", " on", " the", " light."}});
  auto a = run(llm, ask("turn on the kitchen light"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "Turned on the light.");
  EXPECT_EQ(a.deltas.size(), 1u);
  auto seen = fake.last_request();
  EXPECT_EQ(seen.path, "/api/conversation/process");
  EXPECT_EQ(seen.headers["authorization"], "Bearer ha-token");
  EXPECT_EQ(seen.json, (json{{"text", "turn on the kitchen light"}, {"agent_id", "conversation.chatgpt"}, {"language", "zh-cn"}}));
}

TEST_F(HomeAssistantLlmTest, AFollowUpContinuesTheHomeAssistantConversation) {
  HomeAssistantLlm llm(config(), ctx);
  auto first = run(llm, ask("what is on"));
  ASSERT_EQ(first.error, "");
  EXPECT_FALSE(fake.last_request().json.contains("conversation_id"));
  ChatRequest next = ask("what is on");
  next.messages.push_back(message("assistant", first.text));
  next.messages.push_back(message("user", "turn it off"));
  ASSERT_EQ(run(llm, next).error, "");
  EXPECT_EQ(fake.last_request().json["conversation_id"], "ha-conv-1");
  // A different history is a different conversation.
  ChatRequest other = ask("something else");
  other.messages.push_back(message("assistant", "ok"));
  other.messages.push_back(message("user", "turn it off"));
  ASSERT_EQ(run(llm, other).error, "");
  EXPECT_FALSE(fake.last_request().json.contains("conversation_id"));
}

TEST_F(HomeAssistantLlmTest, ErrorsAreReadable) {
  auto wrong = config();
  wrong["api_key"] = "nope";
  HomeAssistantLlm bad(wrong, ctx);
  auto denied = run(bad, ask("x"));
  EXPECT_NE(denied.error.find("HTTP 401"), std::string::npos) << denied.error;
  EXPECT_NE(denied.error.find("401: Unauthorized"), std::string::npos) << denied.error;

  HomeAssistantLlm llm(config(), ctx);
  fake.push_reply({.error_body = R"({"response":{"card":{}}})"});
  auto malformed = run(llm, ask("x"));
  EXPECT_NE(malformed.error.find("without response.speech.plain.speech"), std::string::npos) << malformed.error;
  fake.push_reply({.http_status = 500});
  auto server = run(llm, ask("x"));
  EXPECT_NE(server.error.find("HTTP 500"), std::string::npos) << server.error;
  ChatRequest no_user;
  no_user.messages = {message("system", "s")};
  EXPECT_NE(run(llm, no_user).error.find("no user message"), std::string::npos);
}

TEST_F(HomeAssistantLlmTest, CancellationDropsTheRequestAndTimeoutsAreErrors) {
  fake.push_reply({.tokens = {"late"}, .first_token_delay = 3s});
  HomeAssistantLlm llm(config(), ctx);
  auto start = Clock::now();
  bool finished = run_on(rt.loop(0), chat_with_deadline(llm, ask("slow"), 100ms));
  EXPECT_FALSE(finished);
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s));

  auto cfg = config();
  cfg["timeout"] = 0.3;
  HomeAssistantLlm quick(cfg, ctx);
  fake.push_reply({.hang = true});
  auto a = run(quick, ask("hang"));
  EXPECT_NE(a.error.find("timed out after 300 ms"), std::string::npos) << a.error;
}
