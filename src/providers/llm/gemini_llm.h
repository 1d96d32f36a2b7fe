#pragma once
// Google Gemini: POST {base_url}/v1beta/models/{model}:streamGenerateContent?alt=sse (the
// key in the x-goog-api-key header, so it never appears in URLs or logs). Text parts
// reach the sink as the SSE chunks arrive; functionCall parts become tool-call deltas
// (whole calls, with generated ids); tool results go back as functionResponse parts.
// Cancelling the awaiting coroutine closes the stream.
//
// Config keys: api_key (required), model_name (default gemini-2.0-flash), base_url
// (default https://generativelanguage.googleapis.com), temperature (0.7), top_p (0.9),
// top_k (40), max_tokens (-> maxOutputTokens, 2048), timeout (seconds, default 120).
// http_proxy / https_proxy: this server has no proxy support, so setting either is a
// configuration error (instead of requests that silently bypass the proxy).
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "providers/llm/llm.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/provider_context.h"

namespace xz::net {
class HttpClient;
}

namespace xz::providers {

// A JSON Schema reduced to the fields Gemini's function declarations accept (others,
// such as additionalProperties or $schema, make the API reject the request).
nlohmann::json gemini_schema(const nlohmann::json& schema);

struct GeminiSettings {
  std::string model = "gemini-2.0-flash";
  double temperature = 0.7;
  double top_p = 0.9;
  int top_k = 40;
  int max_tokens = 2048;
};

class GeminiLlm : public LlmEngine {
 public:
  GeminiLlm(const EngineConfig& cfg, ProviderContext& ctx);
  ~GeminiLlm() override;

  boost::asio::awaitable<void> chat(ChatRequest req, ChatSink sink) override;

  const std::string& endpoint() const { return url_; }
  // The generateContent body for `req` (contents, systemInstruction, tools, config).
  nlohmann::json request_body(const ChatRequest& req) const;

 private:
  // Gemini 3 signs its function calls and wants the signature back with the call in
  // the next request; our ToolCall has no field for it, so it is kept here by call id.
  class Signatures {
   public:
    void put(const std::string& id, std::string signature);
    std::optional<std::string> get(const std::string& id) const;

   private:
    mutable std::mutex mu_;
    std::unordered_map<std::string, std::string> by_id_;
    std::deque<std::string> order_;
  };

  std::string url_;
  std::string api_key_;
  GeminiSettings settings_;
  llm_config::Timeouts timeouts_;
  Signatures signatures_;
  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace xz::providers
