#pragma once
// Ollama's native chat API: POST {base_url}/api/chat with "stream": true answers one JSON
// object per line. Text reaches the sink as the lines arrive; tool calls come whole (not
// in fragments) and are passed on as one delta each, with a running index; <think>
// blocks are removed; cancelling the awaiting coroutine closes the connection.
//
// Config keys: model_name (required), base_url | url (default http://localhost:11434),
// temperature, max_tokens (-> options.num_predict), keep_alive, timeout (seconds for the
// whole request; or {connect, read, ...}; default 120).
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "providers/llm/llm.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/provider_context.h"

namespace xz::net {
class HttpClient;
}

namespace xz::providers {

struct OllamaChatSettings {
  std::string model;
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  nlohmann::json keep_alive;  // null = Ollama's default
};
// The /api/chat request body for `req`.
nlohmann::json ollama_chat_body(const OllamaChatSettings& settings, const ChatRequest& req);

class OllamaLlm : public LlmEngine {
 public:
  OllamaLlm(const EngineConfig& cfg, ProviderContext& ctx);
  ~OllamaLlm() override;

  boost::asio::awaitable<void> chat(ChatRequest req, ChatSink sink) override;

  const std::string& endpoint() const { return url_; }

 private:
  std::string url_;
  OllamaChatSettings settings_;
  llm_config::Timeouts timeouts_;
  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace xz::providers
