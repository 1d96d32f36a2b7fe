#pragma once
// Any OpenAI-compatible /chat/completions API (OpenAI, DeepSeek, Qwen, GLM, Doubao, vLLM,
// LM Studio, ...), streamed: text and tool-call deltas reach the sink as the SSE chunks
// arrive; <think> blocks are removed; cancelling the awaiting coroutine closes the stream.
//
// Config keys: base_url | url (with or without /chat/completions), model_name, api_key,
// temperature, max_tokens, top_p, frequency_penalty, timeout (seconds for the whole
// request; or {connect, read, ...}), ca_file (extra trusted CA, PEM).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "providers/llm/llm.h"
#include "providers/provider_context.h"

namespace xz::net {
class HttpClient;
}

namespace xz::providers {

// The chat completions endpoint for a configured base URL: trailing slashes are dropped
// and "/chat/completions" is appended unless already there.
std::string chat_completions_url(std::string_view base_url);

// Body fields that switch "thinking" off for providers that think by default, chosen by
// the URL's domain as the reference server does ({} for everyone else).
nlohmann::json thinking_off_fields(std::string_view url);

// The request body for `req` (messages, tools, sampling settings); `stream` as given.
struct OpenAiChatSettings {
  std::string model;
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  std::optional<double> top_p;
  std::optional<double> frequency_penalty;
  nlohmann::json extra = nlohmann::json::object();  // merged last (thinking switches)
};
nlohmann::json openai_chat_body(const OpenAiChatSettings& settings, const ChatRequest& req, bool stream);

// The readable message of an OpenAI-style error body ({"error":{"message":...}}, ...),
// else the body itself, shortened.
std::string openai_error_message(std::string_view body);

class OpenAiLlm : public LlmEngine {
 public:
  // Throws EngineConfigError naming the key (e.g. "base_url: missing").
  OpenAiLlm(const EngineConfig& cfg, ProviderContext& ctx);
  ~OpenAiLlm() override;

  boost::asio::awaitable<void> chat(ChatRequest req, ChatSink sink) override;

  const std::string& endpoint() const { return url_; }
  const std::string& model() const { return settings_.model; }

 private:
  std::string url_;
  std::string api_key_;
  OpenAiChatSettings settings_;
  std::chrono::milliseconds connect_timeout_;
  std::chrono::milliseconds total_timeout_;
  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace xz::providers
