#pragma once
// Coze bots, the reference's `coze` type: POST {base_url}/v3/chat[?conversation_id=]
// with {"bot_id", "user_id", "stream": true, "auto_save_history": true,
// "additional_messages": [...]} and the personal access token. The answer streams as
// `conversation.message.delta` events (type answer), the chat ends with
// `conversation.chat.completed` / `done`; `conversation.chat.failed`, `error`,
// `conversation.chat.requires_action` (a local plugin this server cannot run) and a
// JSON refusal {code, msg} instead of the stream fail the turn.
//
// Conversations: the bot's prompt and history live in Coze. A conversation id is
// remembered per chat history (ConversationIds), so a session's next turn sends only
// its new words into its conversation, as the reference does with one conversation per
// session. On a miss no id is sent (Coze opens a conversation and names it in
// conversation.chat.created) and the earlier turns go along as additional messages.
//
// No native tools (the reference passes none): with the text protocol, the tool section
// of the system prompt goes in front of a new conversation's question, as the
// reference puts its function prompt in front of the first question.
//
// Config keys: bot_id, user_id, personal_access_token (all required), base_url (default
// https://api.coze.cn as in the reference; https://api.coze.com for coze.com),
// timeout (seconds, default 120).
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "providers/llm/conversation_wire.h"
#include "providers/llm/llm.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/provider_context.h"

namespace xz::net {
class HttpClient;
}

namespace xz::providers {

// One Coze SSE event, pure: answer text, the conversation it names, whether the chat
// ended. Throws std::runtime_error for failures.
struct CozeEvent {
  std::string text;
  std::string conversation_id;
  bool done = false;
};
CozeEvent parse_coze_event(std::string_view event, std::string_view data);

// The readable reason of a Coze refusal body ({code, msg}), "" when it is none.
std::string coze_refusal(std::string_view body);

class CozeLlm : public LlmEngine {
 public:
  CozeLlm(const EngineConfig& cfg, ProviderContext& ctx);
  ~CozeLlm() override;

  boost::asio::awaitable<void> chat(ChatRequest req, ChatSink sink) override;
  bool supports_tools() const override { return false; }

  const std::string& endpoint() const { return url_; }
  const ConversationIds& conversations() const { return conversations_; }

 private:
  std::string url_;
  std::string token_;
  std::string bot_id_;
  std::string user_id_;
  llm_config::Timeouts timeouts_;
  ConversationIds conversations_;
  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace xz::providers
