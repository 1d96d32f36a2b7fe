#include "providers/llm/gemini_llm.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "vendor_llm_fixture.h"
#include "support/fake_llm_apis.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Runtime;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::GeminiLlm;
using xz::providers::ProviderContext;
using namespace xz::test;

namespace {

class GeminiLlmTest : public VendorLlmTest<GeminiLlm> {
 protected:
  void SetUp() override {
    VendorLlmTest::SetUp();
    fake.set_api_key("AIza-test");
  }
  EngineConfig config() const { return {{"type", "gemini"}, {"base_url", fake.url()}, {"api_key", "AIza-test"}}; }
};

}  // namespace

TEST(GeminiSchema, KeepsOnlyWhatFunctionDeclarationsAccept) {
  json schema = {{"$schema", "http://json-schema.org/draft-07/schema#"},
                 {"type", "object"},
                 {"additionalProperties", false},
                 {"properties",
                  {{"city", {{"type", "string"}, {"description", "City"}, {"examples", {"Paris"}}}},
                   {"days", {{"type", "array"}, {"items", {{"type", "integer"}, {"exclusiveMinimum", 0}}}}}}},
                 {"required", {"city"}}};
  json expected = {{"type", "object"},
                   {"properties",
                    {{"city", {{"type", "string"}, {"description", "City"}}},
                     {"days", {{"type", "array"}, {"items", {{"type", "integer"}}}}}}},
                   {"required", {"city"}}};
  EXPECT_EQ(xz::providers::gemini_schema(schema), expected);
}

TEST_F(GeminiLlmTest, ConfigIsValidatedAndProxiesAreRefusedClearly) {
  EXPECT_EQ(config_error(config()), "");
  auto no_key = config();
  no_key.erase("api_key");
  EXPECT_EQ(config_error(no_key), "api_key: missing");
  auto proxy = config();
  proxy["https_proxy"] = "http://127.0.0.1:7890";
  EXPECT_EQ(config_error(proxy).rfind("https_proxy: proxies are not supported", 0), 0u) << config_error(proxy);
  auto empty_proxy = config();
  empty_proxy["http_proxy"] = "";  // the reference config's empty value is fine
  EXPECT_EQ(config_error(empty_proxy), "");
  auto bad_model = config();
  bad_model["model_name"] = "../x";
  EXPECT_NE(config_error(bad_model), "");
  EXPECT_EQ(GeminiLlm(json{{"api_key", "k"}}, ctx).endpoint(),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse");
}

TEST_F(GeminiLlmTest, RequestHasContentsSystemInstructionToolsAndTheKeyInAHeader) {
  auto cfg = config();
  cfg["model_name"] = "gemini-2.5-flash";
  cfg["temperature"] = 0.3;
  GeminiLlm llm(cfg, ctx);
  ChatRequest req;
  ChatMessage call = message("assistant", "Let me look.");
  call.tool_calls = {{.id = "call_1", .name = "get_weather", .arguments = R"({"city":"Paris"})"},
                     {.id = "call_2", .name = "get_time", .arguments = "{}"}};
  ChatMessage r1 = message("tool", R"({"sky":"sunny"})");
  r1.tool_call_id = "call_1";
  ChatMessage r2 = message("tool", "12:00");
  r2.tool_call_id = "call_2";
  req.messages = {message("system", "You are XiaoZhi."), message("user", "weather and time?"), call, r1, r2,
                  message("assistant", "Sunny, noon."), message("user", "thanks")};
  req.tools = {{.name = "get_weather", .description = "Weather",
                .parameters = {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"additionalProperties", false}}},
               {.name = "get_time", .description = "Time", .parameters = {{"type", "object"}, {"properties", json::object()}}}};
  req.max_tokens = 99;
  auto a = run(llm, req);
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "thanks");

  auto seen = fake.last_request();
  EXPECT_EQ(seen.path, "/v1beta/models/gemini-2.5-flash:streamGenerateContent");
  EXPECT_EQ(seen.query["alt"], "sse");
  EXPECT_FALSE(seen.query.contains("key")) << "the key must not be in the URL";
  EXPECT_EQ(seen.headers["x-goog-api-key"], "AIza-test");
  const json& b = seen.json;
  EXPECT_EQ(b["systemInstruction"], (json{{"parts", {{{"text", "You are XiaoZhi."}}}}}));
  const json& c = b["contents"];
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0], (json{{"role", "user"}, {"parts", {{{"text", "weather and time?"}}}}}));
  EXPECT_EQ(c[1]["role"], "model");
  ASSERT_EQ(c[1]["parts"].size(), 3u);
  EXPECT_EQ(c[1]["parts"][0], (json{{"text", "Let me look."}}));
  EXPECT_EQ(c[1]["parts"][1], (json{{"functionCall", {{"name", "get_weather"}, {"args", {{"city", "Paris"}}}}}}));
  // Both results in one user turn, as functionResponse parts with object responses.
  EXPECT_EQ(c[2]["role"], "user");
  ASSERT_EQ(c[2]["parts"].size(), 2u);
  EXPECT_EQ(c[2]["parts"][0], (json{{"functionResponse", {{"name", "get_weather"}, {"response", {{"sky", "sunny"}}}}}}));
  EXPECT_EQ(c[2]["parts"][1], (json{{"functionResponse", {{"name", "get_time"}, {"response", {{"result", "12:00"}}}}}}));
  EXPECT_EQ(c[3], (json{{"role", "model"}, {"parts", {{{"text", "Sunny, noon."}}}}}));
  const json& decls = b["tools"][0]["functionDeclarations"];
  ASSERT_EQ(decls.size(), 2u);
  EXPECT_EQ(decls[0]["parameters"], (json{{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}));
  EXPECT_FALSE(decls[1].contains("parameters")) << "an empty object schema is rejected by Gemini";
  EXPECT_EQ(b["generationConfig"]["temperature"], 0.3);
  EXPECT_EQ(b["generationConfig"]["maxOutputTokens"], 99);
}

TEST_F(GeminiLlmTest, ChunksAreDeliveredAsTheyArrive) {
  fake.push_reply({.tokens = {"Once", " upon", " a", " time", "."}, .token_interval = 80ms});
  GeminiLlm llm(config(), ctx);
  auto a = run(llm, ask("story"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "Once upon a time.");
  ASSERT_EQ(a.deltas.size(), 5u);
  auto sent = fake.token_send_times();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_LT(a.times.front(), sent.back() - 200ms);
  EXPECT_LT(a.times.front() - sent.front(), 50ms);
}

TEST_F(GeminiLlmTest, FunctionCallsBecomeToolCallDeltasAndTheirSignaturesGoBack) {
  fake.push_reply({.tokens = {},
                   .tool_calls = {{.name = "get_weather", .arguments = R"({"city":"北京"})", .thought_signature = "sig-abc"},
                                  {.name = "get_time", .arguments = "{}"}}});
  GeminiLlm llm(config(), ctx);
  ChatRequest req = ask("weather?");
  req.tools = {{.name = "get_weather", .description = "w", .parameters = {{"type", "object"}}},
               {.name = "get_time", .description = "t", .parameters = {{"type", "object"}}}};
  auto a = run(llm, req);
  ASSERT_EQ(a.error, "");
  ASSERT_EQ(a.calls.size(), 2u);
  EXPECT_EQ(a.calls[0].name, "get_weather");
  EXPECT_EQ(json::parse(a.calls[0].arguments), (json{{"city", "北京"}}));
  EXPECT_EQ(a.calls[1].name, "get_time");
  EXPECT_TRUE(a.calls[0].id.starts_with("call_"));
  EXPECT_NE(a.calls[0].id, a.calls[1].id);

  ChatMessage call = message("assistant", "");
  call.tool_calls = a.calls;
  ChatMessage r1 = message("tool", "sunny");
  r1.tool_call_id = a.calls[0].id;
  ChatMessage r2 = message("tool", "noon");
  r2.tool_call_id = a.calls[1].id;
  req.messages.push_back(call);
  req.messages.push_back(r1);
  req.messages.push_back(r2);
  fake.push_reply({.tokens = {"Sunny at noon."}});
  auto b = run(llm, req);
  ASSERT_EQ(b.error, "");
  EXPECT_EQ(b.text, "Sunny at noon.");
  auto seen = fake.last_request();
  const json& parts = seen.json["contents"][1]["parts"];
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0]["thoughtSignature"], "sig-abc");
  EXPECT_FALSE(parts[1].contains("thoughtSignature"));
}

TEST_F(GeminiLlmTest, ErrorsAreReadable) {
  auto wrong = config();
  wrong["api_key"] = "AIza-wrong";
  GeminiLlm bad(wrong, ctx);
  auto denied = run(bad, ask("x"));
  EXPECT_NE(denied.error.find("HTTP 400"), std::string::npos) << denied.error;
  EXPECT_NE(denied.error.find("API key not valid"), std::string::npos) << denied.error;

  GeminiLlm llm(config(), ctx);
  fake.push_reply({.tokens = {"Bad"}, .finish_reason = "SAFETY"});
  auto blocked = run(llm, ask("x"));
  EXPECT_NE(blocked.error.find("SAFETY"), std::string::npos) << blocked.error;
  fake.push_reply({.tokens = {"a"}, .stream_error = "The model is overloaded."});
  auto overloaded = run(llm, ask("x"));
  EXPECT_NE(overloaded.error.find("The model is overloaded."), std::string::npos) << overloaded.error;
  fake.push_reply({.tokens = {"a", "b"}, .omit_end = true});
  auto cut = run(llm, ask("x"));
  EXPECT_NE(cut.error.find("without a finishReason"), std::string::npos) << cut.error;
  fake.push_reply({.http_status = 429});
  auto quota = run(llm, ask("x"));
  EXPECT_NE(quota.error.find("HTTP 429"), std::string::npos) << quota.error;
  fake.push_reply({.tokens = {"long", " answer"}, .finish_reason = "MAX_TOKENS"});
  EXPECT_EQ(run(llm, ask("x")).error, "") << "hitting max tokens is a normal end";
  ChatRequest only_system;
  only_system.messages = {message("system", "s")};
  EXPECT_NE(run(llm, only_system).error.find("no user or model turn"), std::string::npos);
}

TEST_F(GeminiLlmTest, BargeInDropsTheConnectionWithinMilliseconds) {
  fake.push_reply({.tokens = std::vector<std::string>(30, " word"), .token_interval = 50ms});
  GeminiLlm llm(config(), ctx);
  auto r = run_on(rt.loop(0), barge_in_after(llm, ask("talk"), 2));
  EXPECT_EQ(r.error, "");
  EXPECT_FALSE(r.chat_won);
  EXPECT_LT(r.returned - r.barge_in, 10ms) << micros(r.returned - r.barge_in) << " us";
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s));
  EXPECT_LT(fake.token_send_times().size(), 30u);
}
