#pragma once
// Alibaba Cloud Bailian (DashScope) applications, the reference's `AliBL` type:
// POST {base_url}/apps/{app_id}/completion with X-DashScope-SSE: enable and
// incremental_output, so each `event:result` carries the next piece of output.text
// (streamed as it arrives, where the reference waits for the whole answer); the last has
// finish_reason "stop". `event:error` events and non-200 answers ({code, message}) fail
// the turn.
//
// The request carries the whole dialogue as input.messages (DashScope prefers it to a
// session_id's stored history, so no session id is sent): without the system prompt
// when is_no_prompt is true (the app's own prompt is used), as the reference does. With
// ali_memory_id, input.memory_id and input.prompt (the user's last words) are added, as
// the reference does for Bailian's long-term memory.
//
// No native tools (the reference passes none); with the text protocol the tool section
// rides in the system prompt, so only when is_no_prompt is false.
//
// Config keys: app_id (required), api_key (required), base_url (default
// https://dashscope.aliyuncs.com/api/v1; the reference's default .../compatible-mode/v1,
// which its SDK never used, means the same host's /api/v1), is_no_prompt (default
// true), ali_memory_id (false or "" = none), timeout (seconds, default 120).
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "providers/llm/llm.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/provider_context.h"

namespace xz::net {
class HttpClient;
}

namespace xz::providers {

// The application API base for a configured base_url (pure): trailing slashes dropped,
// a compatible-mode/v1 path replaced by /api/v1, /api/v1 added to a bare host.
std::string dashscope_api_base(std::string_view base_url);

// One DashScope SSE event, pure: the next piece of text, whether the answer ended.
// Throws std::runtime_error for `event:error` and malformed data.
struct DashScopeEvent {
  std::string text;
  bool done = false;
};
DashScopeEvent parse_dashscope_event(std::string_view event, std::string_view data);

// The readable reason of a DashScope error body: JSON {code, message} or the same as an
// SSE `event:error` (what DashScope sends for a refused streaming request).
std::string dashscope_error_message(std::string_view body);

class AliBlLlm : public LlmEngine {
 public:
  AliBlLlm(const EngineConfig& cfg, ProviderContext& ctx);
  ~AliBlLlm() override;

  boost::asio::awaitable<void> chat(ChatRequest req, ChatSink sink) override;
  bool supports_tools() const override { return false; }

  const std::string& endpoint() const { return url_; }
  // The request body for these messages (pure; for tests).
  nlohmann::json request_body(const std::vector<ChatMessage>& messages) const;

 private:
  std::string url_;
  std::string api_key_;
  bool no_prompt_ = true;
  std::optional<std::string> memory_id_;
  llm_config::Timeouts timeouts_;
  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace xz::providers
