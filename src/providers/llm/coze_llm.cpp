#include "providers/llm/coze_llm.h"

#include <stdexcept>
#include <vector>

#include <boost/system/system_error.hpp>
#include <fmt/format.h>

#include "net/http_client.h"
#include "net/sse_parser.h"
#include "providers/llm/think_filter.h"
#include "providers/llm/tool_call_text.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

// Coze takes at most 100 additional messages; the newest earlier turns are kept.
constexpr std::size_t kMaxHistoryMessages = 98;
// A refusal is a small JSON body; more than this before any event is no refusal.
constexpr std::size_t kMaxRefusalBytes = 64 * 1024;

// "4100 authentication is invalid" from {code, msg} ("" when the object has neither).
std::string code_msg(const json& j) {
  if (!j.is_object()) return {};
  std::string msg = wire::string_at(j, "msg");
  auto code = j.find("code");
  std::string c = code != j.end() && code->is_number_integer() ? std::to_string(code->get<long long>())
                                                                : wire::string_at(j, "code");
  if (msg.empty() && c.empty()) return {};
  return c.empty() ? msg : (msg.empty() ? c : c + " " + msg);
}

json text_message(const std::string& role, std::string content) {
  return {{"role", role},
          {"type", role == "user" ? "question" : "answer"},
          {"content", std::move(content)},
          {"content_type", "text"}};
}

}  // namespace

CozeEvent parse_coze_event(std::string_view event, std::string_view data) {
  CozeEvent out;
  if (event == "done") {
    out.done = true;
    return out;
  }
  auto j = json::parse(data, nullptr, false);
  if (event == "error") {
    std::string reason = code_msg(j);
    throw std::runtime_error("Coze error: " + (reason.empty() ? llm_config::shorten(data, 200) : reason));
  }
  if (!event.starts_with("conversation.")) return out;
  if (!j.is_object()) throw std::runtime_error("Coze stream: malformed event: " + llm_config::shorten(data, 200));
  out.conversation_id = wire::string_at(j, "conversation_id");
  if (event == "conversation.message.delta") {
    // Answer pieces only: follow-up suggestions, tool traces and verbose packets are not speech.
    const std::string type = wire::string_at(j, "type", "answer");
    if (wire::string_at(j, "role", "assistant") == "assistant" && type == "answer") out.text = wire::string_at(j, "content");
  } else if (event == "conversation.chat.completed") {
    out.done = true;
  } else if (event == "conversation.chat.failed") {
    std::string reason = j.contains("last_error") ? code_msg(j["last_error"]) : std::string();
    throw std::runtime_error("Coze chat failed: " + (reason.empty() ? std::string("no reason given") : reason));
  } else if (event == "conversation.chat.requires_action") {
    throw std::runtime_error(
        "Coze: the bot waits for a local plugin's result (requires_action), which this server cannot give");
  }
  return out;
}

std::string coze_refusal(std::string_view body) { return code_msg(json::parse(body, nullptr, false)); }

CozeLlm::CozeLlm(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  using namespace llm_config;
  require_mapping(cfg);
  auto bot = opt_string(cfg, "bot_id");
  if (!bot) throw EngineConfigError("bot_id: missing (the published bot's id)");
  auto user = opt_string(cfg, "user_id");
  if (!user) throw EngineConfigError("user_id: missing (any id naming the user to Coze)");
  auto token = opt_string(cfg, "personal_access_token");
  if (!token) throw EngineConfigError("personal_access_token: missing (a Coze personal access token)");
  bot_id_ = *bot;
  user_id_ = *user;
  token_ = *token;
  url_ = base_url(cfg, "base_url", "url", "https://api.coze.cn") + "/v3/chat";
  timeouts_ = timeouts(cfg, 120);
  http_ = std::make_unique<net::HttpClient>();
}

CozeLlm::~CozeLlm() = default;

boost::asio::awaitable<void> CozeLlm::chat(ChatRequest req, ChatSink sink) {
  try {
    ChatInput in = split_new_input(req.messages);
    auto conversation = conversations_.find(in.history);

    std::string tools;
    for (const auto& m : req.messages) {
      if (m.role != "system") continue;
      tools = std::string(find_tool_call_prompt(m.content));
      break;
    }
    for (int attempt = 0;; ++attempt) {
      json messages = json::array();
      if (!conversation) {
        std::vector<ChatMessage> earlier(in.history.begin(), in.history.end());
        auto rendered = tool_calls_as_text(earlier);
        std::size_t from = rendered.size() > kMaxHistoryMessages ? rendered.size() - kMaxHistoryMessages : 0;
        for (std::size_t i = from; i < rendered.size(); ++i) {
          if (rendered[i].role == "system" || rendered[i].content.empty()) continue;
          messages.push_back(text_message(rendered[i].role == "assistant" ? "assistant" : "user", rendered[i].content));
        }
      }
      messages.push_back(text_message("user", conversation || tools.empty() ? in.text : tools + "\n\n" + in.text));
      json body = {{"bot_id", bot_id_},
                   {"user_id", user_id_},
                   {"stream", true},
                   {"auto_save_history", true},
                   {"additional_messages", std::move(messages)}};

      net::HttpClientRequest hr;
      hr.method = "POST";
      hr.url = conversation ? url_ + "?conversation_id=" + *conversation : url_;
      hr.headers = {{"Content-Type", "application/json"},
                    {"Accept", "text/event-stream"},
                    {"Authorization", "Bearer " + token_}};
      hr.body = body.dump();
      hr.connect_timeout = timeouts_.connect;
      hr.total_timeout = timeouts_.total;
      hr.max_response_bytes = 16 << 20;

      net::SseParser sse;
      ThinkFilter think;
      std::string answer, head, named;
      bool events = false, done = false;
      net::HttpBodyHandler on_body = [&](std::string_view bytes) -> boost::asio::awaitable<bool> {
        if (!events && head.size() < kMaxRefusalBytes) head.append(bytes.substr(0, kMaxRefusalBytes - head.size()));
        for (const auto& ev : sse.feed(bytes)) {
          events = true;
          if (done) break;
          CozeEvent e = parse_coze_event(ev.event, ev.data);
          if (named.empty()) named = e.conversation_id;
          if (auto text = think.feed(e.text); !text.empty()) {
            answer += text;
            sink(ChatDelta{.text = std::move(text), .tool_calls = {}});
          }
          done = e.done;
        }
        co_return true;
      };
      auto resp = co_await http_->stream(std::move(hr), std::move(on_body));
      std::string refusal = !resp.ok() ? coze_refusal(resp.body) : events ? std::string() : coze_refusal(head);
      if (!refusal.empty() && conversation && attempt == 0) {
        conversations_.forget(in.history);  // e.g. the conversation is gone: start a new one
        conversation.reset();
        continue;
      }
      if (!resp.ok()) {
        throw std::runtime_error(fmt::format("Coze HTTP {}: {}", resp.status,
                                             refusal.empty() ? llm_config::shorten(resp.body, 200) : refusal));
      }
      if (!refusal.empty()) throw std::runtime_error("Coze refused the request: " + refusal);
      if (auto tail = think.finish(); !tail.empty()) {
        answer += tail;
        sink(ChatDelta{.text = std::move(tail), .tool_calls = {}});
      }
      if (!done) throw std::runtime_error("Coze stream ended before conversation.chat.completed (incomplete answer)");
      std::string id = conversation ? *conversation : named;
      if (!id.empty()) {
        std::vector<ChatMessage> after(req.messages.begin(), req.messages.end());
        after.push_back(ChatMessage{.role = "assistant", .content = std::move(answer), .tool_calls = {}, .tool_call_id = {}});
        conversations_.remember(after, std::move(id));
      }
      break;
    }
  } catch (const boost::system::system_error&) {
    throw;  // cancellation (barge-in) passes unchanged
  } catch (const std::exception& e) {
    throw std::runtime_error(llm_config::named_message("Coze", e.what()));
  }
}

}  // namespace xz::providers
