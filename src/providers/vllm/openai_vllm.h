#pragma once
// Any OpenAI-compatible vision chat API (OpenAI, GLM-4V, Qwen-VL, vLLM, ...): one
// non-streaming /chat/completions request whose user message holds a text part and an
// image_url part carrying the image as a data: URL. <think> blocks are removed.
//
// Config keys: base_url | url (with or without /chat/completions), model_name, api_key,
// max_tokens (500), temperature (0.7), top_p (sent only when set), timeout (seconds for
// the whole request, 30; or {connect, read, ...}), ca_file (extra trusted CA, PEM).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "providers/provider_context.h"
#include "providers/vllm/vllm.h"

namespace xz::net {
class HttpClient;
}

namespace xz::providers {

struct OpenAiVllmSettings {
  std::string model;
  int max_tokens = 500;
  double temperature = 0.7;
  std::optional<double> top_p;
};

// The request body: {"model", "messages":[{"role":"user","content":[text, image_url]}],
// "stream":false, sampling settings}. Base64 of a 5 MB image: run it on the pool.
std::string openai_vision_body(const OpenAiVllmSettings& settings, std::string_view image_bytes,
                               std::string_view mime_type, std::string_view question);

// The answer text of a non-streamed chat completion body, <think> blocks removed.
// Throws std::runtime_error when the body has no choices[0].message.content string.
std::string openai_vision_answer(std::string_view body);

class OpenAiVllm : public VllmEngine {
 public:
  // Throws EngineConfigError naming the key (e.g. "model_name: missing").
  OpenAiVllm(const EngineConfig& cfg, ProviderContext& ctx);
  ~OpenAiVllm() override;

  boost::asio::awaitable<std::string> explain(std::string image_bytes, std::string mime_type,
                                              std::string question) override;

  const std::string& endpoint() const { return url_; }
  const OpenAiVllmSettings& settings() const { return settings_; }

 private:
  boost::asio::thread_pool& pool_;  // builds the multi-megabyte request body
  std::string url_;
  std::string api_key_;
  OpenAiVllmSettings settings_;
  std::chrono::milliseconds connect_timeout_;
  std::chrono::milliseconds total_timeout_;
  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace xz::providers
