#pragma once
// Xinference (the reference's `xinference` type): its OpenAI-compatible API at
// base_url + /v1, spoken by OpenAiLlm with the reference's URL rule and default key.
// Native tool calls, as the reference passes them.
//
// Config keys: model_name (required), base_url (default http://localhost:9997; /v1 is
// appended unless there), api_key (default "xinference", what the reference sends), and
// OpenAiLlm's temperature, max_tokens, top_p, frequency_penalty, timeout, ca_file.
#include <memory>

#include "providers/llm/llm.h"
#include "providers/provider_context.h"

namespace xz::providers {

class OpenAiLlm;

// The OpenAiLlm configuration for a xinference entry (pure; for tests too).
EngineConfig xinference_openai_config(const EngineConfig& cfg);

class XinferenceLlm : public LlmEngine {
 public:
  XinferenceLlm(const EngineConfig& cfg, ProviderContext& ctx);
  ~XinferenceLlm() override;

  // Failures say "Xinference: ..." so the turn's log line names the engine.
  boost::asio::awaitable<void> chat(ChatRequest req, ChatSink sink) override;

  const OpenAiLlm& openai() const { return *openai_; }

 private:
  std::unique_ptr<OpenAiLlm> openai_;
};

}  // namespace xz::providers
