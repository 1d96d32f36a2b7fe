#include "providers/llm/ollama_llm.h"

#include <set>

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "vendor_llm_fixture.h"
#include "support/fake_llm_apis.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Runtime;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::OllamaLlm;
using xz::providers::ProviderContext;
using namespace xz::test;

namespace {

class OllamaLlmTest : public VendorLlmTest<OllamaLlm> {
 protected:
  EngineConfig config() const { return {{"type", "ollama"}, {"base_url", fake.url()}, {"model_name", "qwen2.5"}}; }
};

}  // namespace

TEST_F(OllamaLlmTest, ConfigIsValidatedWithTheKeyNamed) {
  EXPECT_EQ(config_error(config()), "");
  auto no_model = config();
  no_model.erase("model_name");
  EXPECT_EQ(config_error(no_model), "model_name: missing");
  auto bad_url = config();
  bad_url["base_url"] = "localhost:11434";
  EXPECT_EQ(config_error(bad_url), "base_url: not an http(s) URL: 'localhost:11434'");
  auto bad_max = config();
  bad_max["max_tokens"] = -5;
  EXPECT_EQ(config_error(bad_max), "max_tokens: not a whole number >= 1");

  EngineConfig defaults = {{"model_name", "llama3.2"}};
  EXPECT_EQ(OllamaLlm(defaults, ctx).endpoint(), "http://localhost:11434/api/chat");
  // The reference's OpenAI-style URL (".../v1") still reaches the native API.
  EngineConfig v1 = {{"model_name", "m"}, {"base_url", "http://gpu-box:11434/v1/"}};
  EXPECT_EQ(OllamaLlm(v1, ctx).endpoint(), "http://gpu-box:11434/api/chat");
}

TEST_F(OllamaLlmTest, RequestIsANativeStreamingChatWithToolsAndOptions) {
  auto cfg = config();
  cfg["temperature"] = 0.2;
  cfg["max_tokens"] = 300;
  OllamaLlm llm(cfg, ctx);
  ChatRequest req;
  ChatMessage call = message("assistant", "");
  call.tool_calls = {{.id = "call_1", .name = "get_weather", .arguments = R"({"city":"Paris"})"}};
  ChatMessage result = message("tool", "sunny");
  result.tool_call_id = "call_1";
  req.messages = {message("system", "sys"), message("user", "weather?"), call, result, message("user", "and now?")};
  req.tools = {{.name = "get_weather", .description = "Weather of a city",
                .parameters = {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}};
  req.max_tokens = 50;
  auto a = run(llm, req);
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "and now?");  // the fake echoes

  auto seen = fake.last_request();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/api/chat");
  const json& b = seen.json;
  EXPECT_EQ(b["model"], "qwen2.5");
  EXPECT_EQ(b["stream"], true);
  EXPECT_EQ(b["options"]["temperature"], 0.2);
  EXPECT_EQ(b["options"]["num_predict"], 50);  // the request's max_tokens wins
  ASSERT_EQ(b["messages"].size(), 5u);
  EXPECT_EQ(b["messages"][0], (json{{"role", "system"}, {"content", "sys"}}));
  // Ollama takes arguments as an object, not as JSON text.
  EXPECT_EQ(b["messages"][2]["tool_calls"][0]["function"],
            (json{{"name", "get_weather"}, {"arguments", {{"city", "Paris"}}}}));
  EXPECT_EQ(b["messages"][3]["role"], "tool");
  EXPECT_EQ(b["messages"][3]["content"], "sunny");
  EXPECT_EQ(b["messages"][3]["tool_name"], "get_weather");
  ASSERT_EQ(b["tools"].size(), 1u);
  EXPECT_EQ(b["tools"][0]["type"], "function");
  EXPECT_EQ(b["tools"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(b["tools"][0]["function"]["parameters"]["properties"]["city"]["type"], "string");
}

TEST_F(OllamaLlmTest, Qwen3IsAskedNotToThink) {
  auto cfg = config();
  cfg["model_name"] = "qwen3:8b";
  OllamaLlm llm(cfg, ctx);
  fake.push_reply({.tokens = {"<think>", "\n\n", "</think>", "\n\nHi", " there"}});
  auto a = run(llm, ask("hello"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "Hi there");
  EXPECT_EQ(fake.last_request().json["messages"][1]["content"], "/no_think hello");
}

TEST_F(OllamaLlmTest, LinesAreDeliveredAsTheyArrive) {
  fake.push_reply({.tokens = {"Once", " upon", " a", " time", "."}, .token_interval = 80ms});
  OllamaLlm llm(config(), ctx);
  auto a = run(llm, ask("tell me a story"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "Once upon a time.");
  ASSERT_EQ(a.deltas.size(), 5u);
  auto sent = fake.token_send_times();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_LT(a.times.front(), sent.back() - 200ms);
  EXPECT_LT(a.times.front() - sent.front(), 50ms);
}

TEST_F(OllamaLlmTest, WholeToolCallsBecomeIndexedDeltas) {
  fake.push_reply({.tokens = {},
                   .tool_calls = {{.name = "get_weather", .arguments = R"({"city":"Paris","unit":"celsius"})"},
                                  {.name = "play_music", .arguments = R"({"song":"Blue"})", .id = "call_given"}}});
  OllamaLlm llm(config(), ctx);
  auto a = run(llm, ask("weather and music"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "");
  ASSERT_EQ(a.calls.size(), 2u);
  EXPECT_EQ(a.calls[0].name, "get_weather");
  EXPECT_EQ(json::parse(a.calls[0].arguments), (json{{"city", "Paris"}, {"unit", "celsius"}}));
  EXPECT_TRUE(a.calls[0].id.starts_with("call_"));
  EXPECT_EQ(a.calls[1].id, "call_given");
  EXPECT_EQ(a.calls[1].name, "play_music");
  EXPECT_NE(a.calls[0].id, a.calls[1].id);
  // Each call arrives whole in one delta.
  ASSERT_EQ(a.deltas.size(), 1u);
  EXPECT_EQ(a.deltas[0].tool_calls.size(), 2u);
  EXPECT_EQ(a.deltas[0].tool_calls[1].index, 1);
}

TEST_F(OllamaLlmTest, ErrorsAreReadable) {
  fake.push_reply({.http_status = 404});
  fake.push_reply({.tokens = {"a", "b"}, .stream_error = "an error was encountered while running the model"});
  fake.push_reply({.tokens = {"a", "b"}, .omit_end = true});
  fake.push_reply({.tokens = {"a", "b", "c", "d"}, .drop_mid_stream = true});
  OllamaLlm llm(config(), ctx);
  auto missing = run(llm, ask("x"));
  EXPECT_NE(missing.error.find("HTTP 404"), std::string::npos) << missing.error;
  EXPECT_NE(missing.error.find("model \"qwen2.5\" not found"), std::string::npos) << missing.error;
  auto failed = run(llm, ask("x"));
  EXPECT_NE(failed.error.find("an error was encountered"), std::string::npos) << failed.error;
  EXPECT_EQ(failed.text, "ab");
  auto cut = run(llm, ask("x"));
  EXPECT_NE(cut.error.find("ended before"), std::string::npos) << cut.error;
  auto dropped = run(llm, ask("x"));
  EXPECT_FALSE(dropped.error.empty());
  EXPECT_EQ(dropped.text, "ab");
  // And it works afterwards.
  auto ok = run(llm, ask("still here"));
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.text, "still here");
}

TEST_F(OllamaLlmTest, TimeoutIsAnError) {
  fake.push_reply({.hang = true});
  auto cfg = config();
  cfg["timeout"] = 0.3;
  OllamaLlm llm(cfg, ctx);
  auto start = Clock::now();
  auto a = run(llm, ask("hi"));
  EXPECT_NE(a.error.find("timed out after 300 ms"), std::string::npos) << a.error;
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s));
}

TEST_F(OllamaLlmTest, BargeInDropsTheConnectionWithinMilliseconds) {
  fake.push_reply({.tokens = std::vector<std::string>(30, " word"), .token_interval = 50ms});
  OllamaLlm llm(config(), ctx);
  auto r = run_on(rt.loop(0), barge_in_after(llm, ask("talk"), 2));
  EXPECT_EQ(r.error, "");
  EXPECT_FALSE(r.chat_won);
  EXPECT_EQ(r.deltas, 2u);
  EXPECT_LT(r.returned - r.barge_in, 10ms) << micros(r.returned - r.barge_in) << " us";
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s)) << "Ollama never saw the stream closed";
  EXPECT_LT(fake.token_send_times().size(), 30u);
}
