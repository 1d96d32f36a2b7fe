#include "providers/llm/openai_llm.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"
#include "support/fake_openai.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using nlohmann::json;
using xz::core::Clock;
using xz::core::Runtime;
using xz::core::Task;
using xz::providers::ChatDelta;
using xz::providers::ChatMessage;
using xz::providers::ChatRequest;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::OpenAiLlm;
using xz::providers::ProviderContext;
using xz::providers::ToolCall;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::FakeToolCall;

namespace {

EngineConfig config_for(const FakeOpenAi& fake) {
  return {{"type", "openai"},  {"base_url", fake.url()}, {"model_name", "gpt-test"},
          {"api_key", "sk-test"}, {"temperature", 0.5},     {"max_tokens", 200}};
}

ChatMessage message(std::string role, std::string content) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

ChatRequest ask(const std::string& text) {
  ChatRequest r;
  r.messages = {message("system", "You are XiaoZhi."), message("user", text)};
  return r;
}

struct Answer {
  std::string text;
  std::vector<ToolCall> calls;  // merged by index, as the dialogue does
  std::vector<ChatDelta> deltas;
  std::vector<Clock::time_point> times;
  std::string error;
};

Task<Answer> gather(OpenAiLlm& llm, ChatRequest req) {
  Answer a;
  try {
    xz::providers::ChatSink sink = [&](const ChatDelta& d) {
      a.times.push_back(Clock::now());
      a.deltas.push_back(d);
      a.text += d.text;
      for (const auto& tc : d.tool_calls) {
        if (a.calls.size() <= static_cast<std::size_t>(tc.index)) a.calls.resize(tc.index + 1);
        auto& call = a.calls[tc.index];
        if (!tc.id.empty()) call.id = tc.id;
        if (!tc.name.empty()) call.name = tc.name;
        call.arguments += tc.arguments;
      }
    };
    co_await llm.chat(std::move(req), std::move(sink));
  } catch (const std::exception& e) {
    a.error = e.what();
  }
  co_return a;
}

std::string config_error(const EngineConfig& cfg, ProviderContext& ctx) {
  try {
    OpenAiLlm llm(cfg, ctx);
  } catch (const EngineConfigError& e) {
    return e.what();
  }
  return "";
}

class OpenAiLlmTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }
  Answer run(OpenAiLlm& llm, ChatRequest req) {
    return asio::co_spawn(rt.loop(0), gather(llm, std::move(req)), asio::use_future).get();
  }

  Runtime rt{1, 1};  // before the engines: they must be destroyed before the loops
  ProviderContext ctx{rt.pool()};
  FakeOpenAi fake;
};

}  // namespace

TEST(OpenAiLlmUrls, ChatCompletionsEndpoint) {
  using xz::providers::chat_completions_url;
  EXPECT_EQ(chat_completions_url("https://api.openai.com/v1"), "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ(chat_completions_url("https://open.bigmodel.cn/api/paas/v4/"),
            "https://open.bigmodel.cn/api/paas/v4/chat/completions");
  EXPECT_EQ(chat_completions_url("http://localhost:1234/v1/chat/completions//"),
            "http://localhost:1234/v1/chat/completions");
  EXPECT_EQ(chat_completions_url("https://api.deepseek.com"), "https://api.deepseek.com/chat/completions");
}

TEST(OpenAiLlmUrls, ThinkingIsSwitchedOffByDomain) {
  using xz::providers::thinking_off_fields;
  EXPECT_EQ(thinking_off_fields("https://dashscope.aliyuncs.com/compatible-mode/v1"), (json{{"enable_thinking", false}}));
  json disabled = {{"thinking", {{"type", "disabled"}}}};
  EXPECT_EQ(thinking_off_fields("https://api.deepseek.com"), disabled);
  EXPECT_EQ(thinking_off_fields("https://open.bigmodel.cn/api/paas/v4/"), disabled);
  EXPECT_EQ(thinking_off_fields("https://api.moonshot.cn/v1"), disabled);
  EXPECT_EQ(thinking_off_fields("https://ark.cn-beijing.volces.com/api/v3"), disabled);
  EXPECT_EQ(thinking_off_fields("https://api.openai.com/v1"), json::object());
  // A look-alike domain is not the provider.
  EXPECT_EQ(thinking_off_fields("https://notdeepseek.com/v1"), json::object());
  EXPECT_EQ(thinking_off_fields("http://127.0.0.1:8000/v1"), json::object());
}

TEST(OpenAiLlmUrls, ErrorMessages) {
  using xz::providers::openai_error_message;
  EXPECT_EQ(openai_error_message(R"({"error":{"message":"Incorrect API key provided","type":"x"}})"),
            "Incorrect API key provided");
  EXPECT_EQ(openai_error_message(R"({"error":"model not found"})"), "model not found");
  EXPECT_EQ(openai_error_message("<html>Bad Gateway</html>"), "<html>Bad Gateway</html>");
  EXPECT_EQ(openai_error_message(""), "(empty body)");
}

TEST_F(OpenAiLlmTest, ConfigIsValidatedWithTheKeyNamed) {
  auto good = config_for(fake);
  EXPECT_EQ(config_error(good, ctx), "");

  auto no_url = good;
  no_url.erase("base_url");
  EXPECT_EQ(config_error(no_url, ctx).rfind("base_url: missing", 0), 0u) << config_error(no_url, ctx);
  auto by_url = no_url;
  by_url["url"] = fake.url() + "/";
  EXPECT_EQ(OpenAiLlm(by_url, ctx).endpoint(), fake.url() + "/chat/completions");
  auto bad_url = good;
  bad_url["base_url"] = "api.openai.com/v1";
  EXPECT_EQ(config_error(bad_url, ctx).rfind("base_url: not an http(s) URL", 0), 0u);
  auto no_model = good;
  no_model["model_name"] = "";  // an unset ${ENV}
  EXPECT_EQ(config_error(no_model, ctx), "model_name: missing");
  auto bad_temp = good;
  bad_temp["temperature"] = "hot";
  EXPECT_EQ(config_error(bad_temp, ctx), "temperature: not a number");
  auto string_temp = good;
  string_temp["temperature"] = "0.3";  // from ${ENV}: fine
  EXPECT_EQ(config_error(string_temp, ctx), "");
  auto bad_max = good;
  bad_max["max_tokens"] = 0;
  EXPECT_EQ(config_error(bad_max, ctx), "max_tokens: not a positive integer");
  auto bad_timeout = good;
  bad_timeout["timeout"] = -1;
  EXPECT_EQ(config_error(bad_timeout, ctx), "timeout: must be > 0 seconds");
  EXPECT_EQ(config_error(json::array(), ctx), "not a mapping");
}

TEST_F(OpenAiLlmTest, RequestIsAnOpenAiStreamingChatRequest) {
  OpenAiLlm llm(config_for(fake), ctx);
  ChatRequest req;
  auto call = message("assistant", "");
  call.tool_calls = {{.id = "call_9", .name = "get_weather", .arguments = R"({"city":"Paris"})"}};
  auto result = message("tool", "sunny");
  result.tool_call_id = "call_9";
  req.messages = {message("system", "sys"), message("user", "weather?"), call, result};
  req.tools = {{.name = "get_weather", .description = "Weather of a city",
                .parameters = {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}};
  req.max_tokens = 77;
  auto a = run(llm, req);
  ASSERT_EQ(a.error, "");
  auto seen = fake.last_request();
  EXPECT_EQ(seen.path, "/v1/chat/completions");
  EXPECT_EQ(seen.headers["authorization"], "Bearer sk-test");
  EXPECT_EQ(seen.headers["content-type"], "application/json");
  const json& b = seen.json;
  EXPECT_EQ(b["model"], "gpt-test");
  EXPECT_EQ(b["stream"], true);
  EXPECT_EQ(b["temperature"], 0.5);
  EXPECT_EQ(b["max_tokens"], 77);  // the request's override
  EXPECT_FALSE(b.contains("top_p"));
  EXPECT_FALSE(b.contains("thinking"));
  ASSERT_EQ(b["messages"].size(), 4u);
  EXPECT_EQ(b["messages"][0], (json{{"role", "system"}, {"content", "sys"}}));
  EXPECT_EQ(b["messages"][2], (json{{"role", "assistant"},
                                    {"tool_calls", {{{"id", "call_9"}, {"type", "function"},
                                                     {"function", {{"name", "get_weather"}, {"arguments", R"({"city":"Paris"})"}}}}}}}));
  EXPECT_EQ(b["messages"][3], (json{{"role", "tool"}, {"content", "sunny"}, {"tool_call_id", "call_9"}}));
  ASSERT_EQ(b["tools"].size(), 1u);
  EXPECT_EQ(b["tools"][0]["type"], "function");
  EXPECT_EQ(b["tools"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(b["tools"][0]["function"]["description"], "Weather of a city");
  EXPECT_EQ(b["tools"][0]["function"]["parameters"]["properties"]["city"]["type"], "string");
  // Without scripting, the fake echoes the last user message.
  EXPECT_EQ(a.text, "weather?");
}

TEST_F(OpenAiLlmTest, FirstDeltaArrivesBeforeTheServerSentTheLastToken) {
  fake.push_reply({.tokens = {"Once", " upon", " a", " time", "."}, .token_interval = 80ms});
  OpenAiLlm llm(config_for(fake), ctx);
  auto a = run(llm, ask("tell me a story"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "Once upon a time.");
  ASSERT_EQ(a.deltas.size(), 5u) << "each token should be its own delta";
  auto sent = fake.token_send_times();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_LT(a.times.front(), sent.back() - 200ms)
      << "first delta came "
      << std::chrono::duration_cast<std::chrono::milliseconds>(a.times.front() - sent.front()).count()
      << " ms after the first token was sent";
  EXPECT_LT(a.times.front() - sent.front(), 50ms);
}

TEST_F(OpenAiLlmTest, ToolCallDeltasCarryIndexIdNameAndArgumentFragments) {
  fake.push_reply({.tokens = {},
                   .tool_calls = {{.id = "call_a", .name = "get_weather", .arguments = R"({"city":"Paris","unit":"celsius"})"},
                                  {.id = "call_b", .name = "play_music", .arguments = R"({"song":"Blue"})"}}});
  OpenAiLlm llm(config_for(fake), ctx);
  auto a = run(llm, ask("weather and music"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "");
  ASSERT_EQ(a.calls.size(), 2u);
  EXPECT_EQ(a.calls[0].id, "call_a");
  EXPECT_EQ(a.calls[0].name, "get_weather");
  EXPECT_EQ(json::parse(a.calls[0].arguments), (json{{"city", "Paris"}, {"unit", "celsius"}}));
  EXPECT_EQ(a.calls[1].id, "call_b");
  EXPECT_EQ(a.calls[1].name, "play_music");
  EXPECT_EQ(a.calls[1].arguments, R"({"song":"Blue"})");
  // Streamed as OpenAI does: the name first, then argument fragments without the name.
  ASSERT_GT(a.deltas.size(), 4u);
  const auto& first = a.deltas.front().tool_calls.at(0);
  EXPECT_EQ(first.index, 0);
  EXPECT_EQ(first.name, "get_weather");
  EXPECT_EQ(first.arguments, "");
  const auto& second = a.deltas.at(1).tool_calls.at(0);
  EXPECT_EQ(second.name, "");
  EXPECT_FALSE(second.arguments.empty());
}

TEST_F(OpenAiLlmTest, ThinkBlocksNeverReachTheSink) {
  fake.push_reply({.tokens = {"<thi", "nk>The user", " says hi.</th", "ink>\n\n", "Hi", "! <", "3"}});
  OpenAiLlm llm(config_for(fake), ctx);
  auto a = run(llm, ask("hi"));
  ASSERT_EQ(a.error, "");
  EXPECT_EQ(a.text, "Hi! <3");
  for (const auto& d : a.deltas) EXPECT_EQ(d.text.find("think"), std::string::npos) << d.text;
}

TEST_F(OpenAiLlmTest, HttpErrorsCarryTheStatusAndTheApisMessage) {
  fake.push_reply({.http_status = 401,
                   .error_body = R"({"error":{"message":"Incorrect API key provided: sk-test.","type":"invalid_request_error","code":"invalid_api_key"}})"});
  fake.push_reply({.http_status = 500});
  OpenAiLlm llm(config_for(fake), ctx);
  auto a = run(llm, ask("hi"));
  EXPECT_NE(a.error.find("HTTP 401"), std::string::npos) << a.error;
  EXPECT_NE(a.error.find("Incorrect API key provided"), std::string::npos) << a.error;
  EXPECT_TRUE(a.deltas.empty());
  auto b = run(llm, ask("hi"));
  EXPECT_NE(b.error.find("HTTP 500"), std::string::npos) << b.error;
  EXPECT_NE(b.error.find("fake error 500"), std::string::npos) << b.error;
  // And the engine works again afterwards.
  auto c = run(llm, ask("still there"));
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.text, "still there");
}

TEST_F(OpenAiLlmTest, TimeoutIsAnError) {
  fake.push_reply({.hang = true});
  auto cfg = config_for(fake);
  cfg["timeout"] = 0.3;
  OpenAiLlm llm(cfg, ctx);
  auto start = Clock::now();
  auto a = run(llm, ask("hi"));
  EXPECT_NE(a.error.find("timed out after 300 ms"), std::string::npos) << a.error;
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s));
}

TEST_F(OpenAiLlmTest, IncompleteStreamsAreErrors) {
  fake.push_reply({.tokens = {"a", "b", "c", "d"}, .drop_mid_stream = true});
  fake.push_reply({.tokens = {"a", "b"}, .omit_done = true});
  OpenAiLlm llm(config_for(fake), ctx);
  auto dropped = run(llm, ask("x"));
  EXPECT_FALSE(dropped.error.empty());
  EXPECT_EQ(dropped.text, "ab");  // what came before the drop was delivered
  auto no_done = run(llm, ask("x"));
  EXPECT_NE(no_done.error.find("ended before [DONE]"), std::string::npos) << no_done.error;
}

TEST_F(OpenAiLlmTest, BargeInCancelsTheStreamWithinMilliseconds) {
  std::vector<std::string> tokens(30, " word");
  fake.push_reply({.tokens = tokens, .token_interval = 50ms});
  OpenAiLlm llm(config_for(fake), ctx);
  struct Result {
    Clock::time_point barge_in, returned;
    std::size_t deltas = 0;
    bool chat_won = false;
  };
  auto r = asio::co_spawn(rt.loop(0), [&]() -> Task<Result> {
    using namespace asio::experimental::awaitable_operators;
    Result res;
    xz::core::Event abort_turn(co_await asio::this_coro::executor);
    auto chat = llm.chat(ask("talk"), [&](const ChatDelta&) {
      if (++res.deltas == 2) {
        res.barge_in = Clock::now();
        abort_turn.set();  // the user started speaking
      }
    });
    auto which = co_await (std::move(chat) || abort_turn.wait());
    res.returned = Clock::now();
    res.chat_won = which.index() == 0;
    co_return res;
  }(), asio::use_future).get();
  EXPECT_FALSE(r.chat_won);
  EXPECT_EQ(r.deltas, 2u);
  auto latency = r.returned - r.barge_in;
  EXPECT_LT(latency, 10ms) << std::chrono::duration_cast<std::chrono::microseconds>(latency).count() << " us";
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s)) << "the API never saw the stream closed";
  EXPECT_LT(fake.token_send_times().size(), 30u);
}
