#pragma once
// Home Assistant's conversation agent: POST {base_url}/api/conversation/process with
// {"text", "agent_id", "language"?, "conversation_id"?} and a long-lived access token;
// the answer is response.speech.plain.speech, delivered as one delta (HA does not
// stream). HA runs its own intents and tools, so supports_tools() is false.
//
// HA's conversation_id is remembered per chat history (ConversationIds), so a session's
// follow-up continues its HA conversation; a miss starts a new one (HA cannot take the
// earlier turns). Cancelling the awaiting coroutine drops the connection.
//
// Config keys: base_url | url (required), api_key (required), agent_id (optional: HA's
// default agent when unset), language (optional), timeout (seconds, default 30).
#include <memory>
#include <optional>
#include <string>

#include "providers/llm/conversation_wire.h"
#include "providers/llm/llm.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/provider_context.h"

namespace xz::net {
class HttpClient;
}

namespace xz::providers {

class HomeAssistantLlm : public LlmEngine {
 public:
  HomeAssistantLlm(const EngineConfig& cfg, ProviderContext& ctx);
  ~HomeAssistantLlm() override;

  boost::asio::awaitable<void> chat(ChatRequest req, ChatSink sink) override;
  bool supports_tools() const override { return false; }

  const std::string& endpoint() const { return url_; }

 private:
  std::string url_;
  std::string api_key_;
  std::optional<std::string> agent_id_;
  std::optional<std::string> language_;
  llm_config::Timeouts timeouts_;
  ConversationIds conversations_;
  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace xz::providers
