#pragma once
// FastGPT apps (the reference's `fastgpt` type): POST {base_url}/chat/completions with
// {"stream": true, "chatId", "detail", "variables", "messages": [the new user input]}.
// FastGPT keeps the chat's history under chatId and takes only the last message as the
// question, as the reference uses it. The answer streams as OpenAI-style chunks
// (`data:` lines; with detail also `event: answer` and workflow events, which are
// skipped) up to `data: [DONE]`; `event: error` fails the turn.
//
// chatId: the engine is shared by every session, so a chat id is remembered per chat
// history (ConversationIds): a session's next turn continues its FastGPT chat; on a miss
// a new id is made and the earlier turns are folded into the question.
//
// No native tools (the reference passes none): with the text protocol, the tool section
// of the system prompt goes in front of a new chat's question, as for Dify.
//
// Config keys: base_url | url (required, e.g. https://cloud.fastgpt.cn/api/v1), api_key
// (required, an app key), variables (mapping, default {}), detail (default false),
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

// One FastGPT SSE event, pure: the answer text it carries ("" for workflow events),
// whether it ends the answer ([DONE] or a finish_reason). Throws std::runtime_error
// for `event: error` and malformed data.
struct FastGptEvent {
  std::string text;
  bool done = false;
};
FastGptEvent parse_fastgpt_event(std::string_view event, std::string_view data);

class FastGptLlm : public LlmEngine {
 public:
  FastGptLlm(const EngineConfig& cfg, ProviderContext& ctx);
  ~FastGptLlm() override;

  boost::asio::awaitable<void> chat(ChatRequest req, ChatSink sink) override;
  bool supports_tools() const override { return false; }

  const std::string& endpoint() const { return url_; }
  const ConversationIds& chats() const { return chats_; }

 private:
  boost::asio::awaitable<std::string> stream(std::string body, ChatSink& sink);

  std::string url_;
  std::string api_key_;
  bool detail_ = false;
  nlohmann::json variables_ = nlohmann::json::object();
  llm_config::Timeouts timeouts_;
  ConversationIds chats_;
  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace xz::providers
