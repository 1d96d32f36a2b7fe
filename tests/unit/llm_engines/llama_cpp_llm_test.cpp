// The llama.cpp engine against the real library, with a tiny random model the test
// writes itself (the Llama-2 tokenizer on a 2-block network): real load, templating,
// tokenizing, decoding, sampling, streaming and cancellation; meaningless text.
#include "providers/llm/llama_cpp_llm.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/runtime.h"
#include "engine_test_util.h"
#include "support/tiny_gguf.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Runtime;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::LlamaCppLlm;
using xz::providers::ProviderContext;
using namespace xz::test;
namespace asio = boost::asio;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".gguf")).string();
}

class LlamaCppLlmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_path = temp_path("xz-tiny-llama");
    write_tiny_llama_gguf(model_path);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    std::filesystem::remove(model_path, ec);
  }
  void SetUp() override { rt.start(); }

  EngineConfig config() const {
    return {{"type", "llama_cpp"}, {"model_path", model_path}, {"n_ctx", 512}, {"n_threads", 1},
            {"temperature", 0}, {"max_tokens", 16}};
  }
  Answer run(LlamaCppLlm& llm, ChatRequest req) { return run_on(rt.loop(0), gather(llm, std::move(req))); }
  std::string config_error(const EngineConfig& cfg) {
    try {
      LlamaCppLlm llm(cfg, ctx);
    } catch (const EngineConfigError& e) {
      return e.what();
    }
    return "";
  }

  static inline std::string model_path;
  Runtime rt{1, 2};
  ProviderContext ctx{rt.pool()};
};

Task<std::thread::id> loop_thread() { co_return std::this_thread::get_id(); }

Task<std::tuple<Answer, Answer>> two_at_once(LlamaCppLlm& llm, ChatRequest a, ChatRequest b) {
  using namespace asio::experimental::awaitable_operators;
  auto first = gather(llm, std::move(a));
  auto second = gather(llm, std::move(b));
  co_return co_await (std::move(first) && std::move(second));
}

// A takes the only context; B waits for it and is given up after `patience`.
Task<std::tuple<Answer, bool>> one_waits_and_gives_up(LlamaCppLlm& llm, ChatRequest a, ChatRequest b,
                                                      Clock::duration patience) {
  using namespace asio::experimental::awaitable_operators;
  xz::providers::ChatSink ignore = [](const ChatDelta&) {};
  auto first = gather(llm, std::move(a));
  auto second = xz::core::with_timeout(llm.chat(std::move(b), std::move(ignore)), patience);
  co_return co_await (std::move(first) && std::move(second));
}

bool valid_utf8(const std::string& s) {
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

}  // namespace

TEST_F(LlamaCppLlmTest, ConfigIsValidatedWithTheKeyNamed) {
  EXPECT_EQ(config_error(config()), "");
  auto missing = config();
  missing.erase("model_path");
  EXPECT_EQ(config_error(missing).rfind("model_path: missing", 0), 0u);
  auto nowhere = config();
  nowhere["model_path"] = "/nonexistent/model.gguf";
  EXPECT_EQ(config_error(nowhere), "model_path: no such file: '/nonexistent/model.gguf'");
  auto not_gguf = config();
  not_gguf["model_path"] = llama_spm_vocab_path();  // a GGUF without weights
  EXPECT_EQ(config_error(not_gguf).rfind("model_path: llama.cpp cannot load", 0), 0u);
  auto bad_template = config();
  bad_template["chat_template"] = "no-such-template";
  EXPECT_EQ(config_error(bad_template), "chat_template: llama.cpp does not know the template 'no-such-template'");
  auto no_contexts = config();
  no_contexts["contexts"] = 0;
  EXPECT_EQ(config_error(no_contexts), "contexts: not a whole number >= 1");
  auto small_ctx = config();
  small_ctx["n_ctx"] = 8;
  EXPECT_EQ(config_error(small_ctx), "n_ctx: not a whole number >= 64");
  auto bad_top_p = config();
  bad_top_p["top_p"] = 1.5;
  EXPECT_EQ(config_error(bad_top_p), "top_p: must be in (0, 1]");
}

TEST_F(LlamaCppLlmTest, TemplatesTheModelsOwnANamedOneOrChatml) {
  LlamaCppLlm plain(config(), ctx);  // the tiny model has no template of its own
  EXPECT_EQ(plain.chat_template(), "chatml");
  ChatRequest req = ask("Hello");
  EXPECT_EQ(plain.render_prompt(req.messages),
            "<|im_start|>system\nYou are XiaoZhi.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n");

  auto named = config();
  named["chat_template"] = "llama3";
  LlamaCppLlm llama3(named, ctx);
  EXPECT_NE(llama3.render_prompt(req.messages).find("<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"),
            std::string::npos);

  std::string gemma_model = temp_path("xz-tiny-llama-gemma");
  write_tiny_llama_gguf(gemma_model, {.seed = 2,
                                      .chat_template = "{{ bos_token }}{% for message in messages %}<start_of_turn>"
                                                       "{{ message['role'] }}\n{{ message['content'] }}<end_of_turn>\n"
                                                       "{% endfor %}<start_of_turn>model\n"});
  auto own = config();
  own["model_path"] = gemma_model;
  {
    LlamaCppLlm gemma(own, ctx);
    EXPECT_NE(gemma.render_prompt(req.messages).find("<start_of_turn>user\n"), std::string::npos)
        << gemma.render_prompt(req.messages);
  }
  std::filesystem::remove(gemma_model);

  // Tool calls and results in the history are rendered as text for the model.
  ChatMessage call = message("assistant", "");
  call.tool_calls = {{.id = "c1", .name = "get_weather", .arguments = R"({"city":"Paris"})"}};
  ChatMessage result = message("tool", "sunny");
  result.tool_call_id = "c1";
  req.messages.push_back(call);
  req.messages.push_back(result);
  std::string prompt = plain.render_prompt(req.messages);
  EXPECT_NE(prompt.find("<|im_start|>assistant\n<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}"),
            std::string::npos)
      << prompt;
  EXPECT_NE(prompt.find("<|im_start|>user\nTool result (get_weather): sunny<|im_end|>"), std::string::npos) << prompt;
}

TEST_F(LlamaCppLlmTest, GeneratesAndStreamsPiecesOnTheCallersLoop) {
  LlamaCppLlm llm(config(), ctx);
  EXPECT_FALSE(llm.supports_tools());
  auto a = run(llm, ask("Hello, what is the weather like today?"));
  ASSERT_EQ(a.error, "");
  EXPECT_FALSE(a.text.empty());
  EXPECT_GT(a.deltas.size(), 1u) << "pieces should arrive one by one, not as one answer";
  EXPECT_LE(llm.tokens_generated(), 16u);
  EXPECT_GT(llm.tokens_generated(), 1u);
  EXPECT_TRUE(valid_utf8(a.text));
  auto loop_id = run_on(rt.loop(0), loop_thread());
  for (auto id : a.threads) EXPECT_EQ(id, loop_id);
  EXPECT_EQ(llm.idle_contexts(), 1u);
}

TEST_F(LlamaCppLlmTest, MaxTokensIsRespectedAndGreedyIsDeterministic) {
  LlamaCppLlm llm(config(), ctx);
  ChatRequest short_req = ask("Tell me about the sea.");
  short_req.max_tokens = 6;
  ChatRequest long_req = ask("Tell me about the sea.");
  long_req.max_tokens = 24;
  auto s = run(llm, short_req);
  std::size_t after_short = llm.tokens_generated();
  auto l = run(llm, long_req);
  ASSERT_EQ(s.error, "");
  ASSERT_EQ(l.error, "");
  EXPECT_LE(after_short, 6u);
  EXPECT_LE(llm.tokens_generated() - after_short, 24u);
  ASSERT_LT(s.text.size(), l.text.size());
  EXPECT_EQ(l.text.substr(0, s.text.size()), s.text) << "greedy decoding of the same prompt must extend, not change";
}

TEST_F(LlamaCppLlmTest, SeedMakesSamplingRepeatable) {
  auto cfg = config();
  cfg["temperature"] = 0.9;
  cfg["seed"] = 42;
  LlamaCppLlm a(cfg, ctx);
  cfg["seed"] = 7;
  LlamaCppLlm b(cfg, ctx);
  auto one = run(a, ask("Say something."));
  auto two = run(a, ask("Say something."));
  auto other = run(b, ask("Say something."));
  ASSERT_EQ(one.error, "");
  EXPECT_EQ(one.text, two.text);
  EXPECT_NE(one.text, other.text);
}

TEST_F(LlamaCppLlmTest, BargeInReturnsAtOnceAndStopsTheGeneration) {
  auto cfg = config();
  cfg["max_tokens"] = 100000;  // bounded by n_ctx
  cfg["n_ctx"] = 256;
  cfg["temperature"] = 0.8;
  cfg["seed"] = 3;
  LlamaCppLlm llm(cfg, ctx);
  // Uninterrupted, this prompt runs until the context is full.
  auto full = run(llm, ask("Go on forever."));
  ASSERT_EQ(full.error, "");
  std::size_t uninterrupted = llm.tokens_generated();
  ASSERT_GT(uninterrupted, 150u);

  auto r = run_on(rt.loop(0), barge_in_after(llm, ask("Go on forever."), 3));
  EXPECT_EQ(r.error, "");
  EXPECT_FALSE(r.chat_won);
  EXPECT_LT(r.returned - r.barge_in, 10ms) << micros(r.returned - r.barge_in) << " us";
  // The next request gets the (only) context, so the cancelled generation has ended.
  ChatRequest next = ask("Hi");
  next.max_tokens = 2;
  auto after = run(llm, next);
  ASSERT_EQ(after.error, "");
  std::size_t cancelled_tokens = llm.tokens_generated() - uninterrupted - 2;
  EXPECT_LT(cancelled_tokens, 100u) << "the generation went on after the barge-in";
  EXPECT_EQ(llm.idle_contexts(), 1u);
}

TEST_F(LlamaCppLlmTest, RequestsQueueForTheContextInsteadOfFailing) {
  auto cfg = config();
  cfg["max_tokens"] = 40;
  LlamaCppLlm llm(cfg, ctx);
  ASSERT_EQ(llm.context_count(), 1);
  auto [a, b] = run_on(rt.loop(0), two_at_once(llm, ask("First question."), ask("Second question.")));
  ASSERT_EQ(a.error, "");
  ASSERT_EQ(b.error, "");
  ASSERT_FALSE(a.times.empty());
  ASSERT_FALSE(b.times.empty());
  // One ran after the other: their deltas do not interleave.
  bool a_first = a.times.back() < b.times.front();
  bool b_first = b.times.back() < a.times.front();
  EXPECT_TRUE(a_first || b_first);
  EXPECT_EQ(llm.idle_contexts(), 1u);
}

TEST_F(LlamaCppLlmTest, AWaitingRequestCanBeCancelled) {
  auto cfg = config();
  cfg["max_tokens"] = 60;
  LlamaCppLlm llm(cfg, ctx);
  auto [a, b_finished] =
      run_on(rt.loop(0), one_waits_and_gives_up(llm, ask("Long one."), ask("Impatient."), 5ms));
  EXPECT_EQ(a.error, "");
  EXPECT_FALSE(a.text.empty());
  EXPECT_FALSE(b_finished);
  EXPECT_EQ(llm.idle_contexts(), 1u) << "the cancelled waiter must not take or lose a context";
  EXPECT_EQ(run(llm, ask("again")).error, "");
}

TEST_F(LlamaCppLlmTest, LongHistoriesLoseTheirOldestTurnsATooLongInputIsAnError) {
  auto cfg = config();
  cfg["n_ctx"] = 128;
  LlamaCppLlm llm(cfg, ctx);
  ChatRequest req;
  req.messages = {message("system", "Be brief.")};
  for (int i = 0; i < 20; ++i) {
    req.messages.push_back(message("user", "Question number " + std::to_string(i) + " is about the weather in a city."));
    req.messages.push_back(message("assistant", "Answer number " + std::to_string(i) + " says it is sunny there."));
  }
  req.messages.push_back(message("user", "And now?"));
  req.max_tokens = 4;
  auto a = run(llm, req);
  EXPECT_EQ(a.error, "");

  std::string huge;
  for (int i = 0; i < 300; ++i) huge += "word ";
  auto b = run(llm, ask(huge));
  EXPECT_NE(b.error.find("leaves no room to answer"), std::string::npos) << b.error;
  EXPECT_EQ(llm.idle_contexts(), 1u);
}
