#include "providers/llm/homeassistant_llm.h"

#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "net/http_client.h"
#include "protocol/json_text.h"
#include "providers/llm/openai_llm.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

// The text the user said last (HA takes only that).
std::string last_user_text(const std::vector<ChatMessage>& messages, std::size_t& at) {
  for (std::size_t i = messages.size(); i-- > 0;) {
    if (messages[i].role == "user") {
      at = i;
      return messages[i].content;
    }
  }
  throw std::runtime_error("Home Assistant: the request has no user message");
}

}  // namespace

HomeAssistantLlm::HomeAssistantLlm(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  using namespace llm_config;
  require_mapping(cfg);
  url_ = base_url(cfg, "base_url", "url", "") + "/api/conversation/process";
  auto key = opt_string(cfg, "api_key");
  if (!key) throw EngineConfigError("api_key: missing (a Home Assistant long-lived access token)");
  api_key_ = *key;
  agent_id_ = opt_string(cfg, "agent_id");
  language_ = opt_string(cfg, "language");
  timeouts_ = timeouts(cfg, 30);
  http_ = std::make_unique<net::HttpClient>();
}

HomeAssistantLlm::~HomeAssistantLlm() = default;

boost::asio::awaitable<void> HomeAssistantLlm::chat(ChatRequest req, ChatSink sink) {
  std::size_t user_at = 0;
  std::string text = last_user_text(req.messages, user_at);
  std::span<const ChatMessage> before(req.messages.data(), user_at);
  auto conversation = conversations_.find(before);

  json body = {{"text", text}};
  if (agent_id_) body["agent_id"] = *agent_id_;
  if (language_) body["language"] = *language_;
  if (conversation) body["conversation_id"] = *conversation;

  net::HttpClientRequest hr;
  hr.method = "POST";
  hr.url = url_;
  hr.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + api_key_}};
  hr.body = body.dump();
  hr.connect_timeout = timeouts_.connect;
  hr.total_timeout = timeouts_.total;
  hr.max_response_bytes = 1 << 20;

  auto resp = co_await http_->request(std::move(hr));
  if (!resp.ok()) {
    throw std::runtime_error(fmt::format("Home Assistant HTTP {}: {}", resp.status, openai_error_message(resp.body)));
  }
  auto j = protocol::parse_json_text(resp.body);
  const json* speech = nullptr;
  if (j.is_object()) {
    const json* r = j.contains("response") ? &j["response"] : nullptr;
    if (r && r->is_object() && r->contains("speech") && (*r)["speech"].is_object()) {
      const json& s = (*r)["speech"];
      if (s.contains("plain") && s["plain"].is_object() && s["plain"].contains("speech")) speech = &s["plain"]["speech"];
    }
  }
  if (!speech || !speech->is_string()) {
    throw std::runtime_error("Home Assistant: answer without response.speech.plain.speech: " +
                             llm_config::shorten(resp.body, 200));
  }
  std::string answer = speech->get<std::string>();
  if (auto id = j.find("conversation_id"); id != j.end() && id->is_string()) {
    std::vector<ChatMessage> after(req.messages.begin(), req.messages.begin() + static_cast<std::ptrdiff_t>(user_at) + 1);
    after.push_back(ChatMessage{.role = "assistant", .content = answer, .tool_calls = {}, .tool_call_id = {}});
    conversations_.remember(after, id->get<std::string>());
  }
  if (!answer.empty()) sink(ChatDelta{.text = std::move(answer), .tool_calls = {}});
}

}  // namespace xz::providers
