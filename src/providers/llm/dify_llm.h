#pragma once
// Dify apps: POST {base_url}/chat-messages with "response_mode": "streaming" answers SSE
// events; `message` / `agent_message` carry answer pieces (passed on as they arrive),
// `message_end` ends the answer, `error` fails it. The prompt, model and memory live in
// the Dify app: the request carries only the new input (`query`).
//
// Conversations: the engine is shared by every session, so Dify's conversation_id is
// remembered per chat history (ConversationIds): a session's next turn finds the
// conversation its previous answer came from and sends only the new input. On a miss
// (first turn, a trimmed history, a restart) a new Dify conversation starts and the
// earlier turns are folded into its first query, so the answer always has the whole
// context and never continues another session's conversation. A conversation Dify has
// dropped (404) is retried once as a new one.
//
// No native tools (supports_tools() is false): with the text protocol, the tool section
// of the system prompt (tool_call_prompt) is put in front of a new conversation's query,
// as the reference does; tool results become the next query.
//
// Config keys: base_url | url (default https://api.dify.ai/v1), api_key (required),
// mode (chat-messages | completion-messages | workflows/run; default chat-messages),
// user (Dify's end-user id; default "xiaozhi"), inputs (mapping of app variables),
// timeout (seconds, default 120).
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "providers/llm/conversation_wire.h"
#include "providers/llm/llm.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/provider_context.h"

namespace xz::net {
class HttpClient;
}

namespace xz::providers {

class DifyLlm : public LlmEngine {
 public:
  DifyLlm(const EngineConfig& cfg, ProviderContext& ctx);
  ~DifyLlm() override;

  boost::asio::awaitable<void> chat(ChatRequest req, ChatSink sink) override;
  bool supports_tools() const override { return false; }

  const std::string& endpoint() const { return url_; }
  const ConversationIds& conversations() const { return conversations_; }

 private:
  struct Outcome {
    int status = 0;
    std::string error_body;
    std::string conversation_id;
    std::string answer;
  };
  boost::asio::awaitable<Outcome> stream_once(std::string body, ChatSink& sink);
  std::string request_body(const std::string& query, const std::string& conversation_id) const;

  std::string url_;
  std::string mode_;
  std::string api_key_;
  std::string user_;
  nlohmann::json inputs_ = nlohmann::json::object();
  llm_config::Timeouts timeouts_;
  ConversationIds conversations_;
  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace xz::providers
