#include "providers/llm/dify_llm.h"

#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "net/http_client.h"
#include "net/sse_parser.h"
#include "protocol/json_text.h"
#include "providers/llm/openai_llm.h"
#include "providers/llm/think_filter.h"
#include "providers/llm/tool_call_text.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

// The first string among a workflow's outputs, preferring "answer".
std::string workflow_answer(const json& outputs) {
  if (!outputs.is_object()) return {};
  if (auto a = outputs.find("answer"); a != outputs.end() && a->is_string()) return a->get<std::string>();
  for (const auto& [k, v] : outputs.items()) {
    if (v.is_string()) return v.get<std::string>();
  }
  return {};
}

}  // namespace

DifyLlm::DifyLlm(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  using namespace llm_config;
  require_mapping(cfg);
  std::string base = base_url(cfg, "base_url", "url", "https://api.dify.ai/v1");
  auto key = opt_string(cfg, "api_key");
  if (!key) throw EngineConfigError("api_key: missing (the app's API key from Dify)");
  api_key_ = *key;
  mode_ = opt_string(cfg, "mode").value_or("chat-messages");
  while (!mode_.empty() && mode_.front() == '/') mode_.erase(0, 1);
  if (mode_ != "chat-messages" && mode_ != "completion-messages" && mode_ != "workflows/run") {
    throw EngineConfigError(
        fmt::format("mode: '{}' is not one of chat-messages, completion-messages, workflows/run", mode_));
  }
  url_ = base + "/" + mode_;
  user_ = opt_string(cfg, "user").value_or("xiaozhi");
  if (const json* in = find(cfg, "inputs")) {
    if (!in->is_object()) throw EngineConfigError("inputs: not a mapping");
    inputs_ = *in;
  }
  timeouts_ = timeouts(cfg, 120);
  http_ = std::make_unique<net::HttpClient>();
}

DifyLlm::~DifyLlm() = default;

std::string DifyLlm::request_body(const std::string& query, const std::string& conversation_id) const {
  json body = {{"response_mode", "streaming"}, {"user", user_}};
  if (mode_ == "chat-messages") {
    body["query"] = query;
    body["inputs"] = inputs_;
    body["conversation_id"] = conversation_id;
    body["auto_generate_name"] = false;
  } else {
    json inputs = inputs_;
    inputs["query"] = query;
    body["inputs"] = std::move(inputs);
  }
  return body.dump();
}

boost::asio::awaitable<DifyLlm::Outcome> DifyLlm::stream_once(std::string body, ChatSink& sink) {
  net::HttpClientRequest hr;
  hr.method = "POST";
  hr.url = url_;
  hr.headers = {{"Content-Type", "application/json"},
                {"Accept", "text/event-stream"},
                {"Authorization", "Bearer " + api_key_}};
  hr.body = std::move(body);
  hr.connect_timeout = timeouts_.connect;
  hr.total_timeout = timeouts_.total;

  Outcome out;
  net::SseParser sse;
  ThinkFilter think;
  bool ended = false;
  bool chunks_seen = false;  // workflows: text_chunk events stream the answer

  auto deliver = [&](const std::string& piece) {
    if (auto text = think.feed(piece); !text.empty()) {
      out.answer += text;  // what the session hears and keeps in its history
      sink(ChatDelta{.text = std::move(text), .tool_calls = {}});
    }
  };

  auto on_event = [&](const net::SseEvent& ev) {
    if (ev.data.empty()) return;  // `event: ping`
    auto j = protocol::parse_json_text(ev.data);
    if (!j.is_object()) throw std::runtime_error("Dify stream: malformed event: " + llm_config::shorten(ev.data, 200));
    std::string type = wire::string_at(j, "event", ev.event);
    if (auto c = j.find("conversation_id"); c != j.end() && c->is_string() && out.conversation_id.empty()) {
      out.conversation_id = c->get<std::string>();
    }
    if (type == "error") {
      throw std::runtime_error(fmt::format("Dify stream error: {} ({})", wire::string_at(j, "message", "unknown"),
                                           wire::string_at(j, "code", "no code")));
    }
    if (ended) return;
    if (type == "message" || type == "agent_message") {
      // message_replace (moderation) re-sends the whole answer: skipped, as the reference does.
      if (auto a = j.find("answer"); a != j.end() && a->is_string() && !a->get_ref<const std::string&>().empty()) {
        deliver(a->get<std::string>());
      }
    } else if (type == "text_chunk") {
      if (auto data = j.find("data"); data != j.end() && data->is_object()) {
        std::string text = wire::string_at(*data, "text");
        if (!text.empty()) {
          chunks_seen = true;
          deliver(text);
        }
      }
    } else if (type == "message_end") {
      ended = true;
    } else if (type == "workflow_finished") {
      auto d = j.find("data");
      const json data = d != j.end() && d->is_object() ? *d : json::object();
      std::string status = wire::string_at(data, "status");
      if (status != "succeeded") throw std::runtime_error("Dify workflow failed: " + wire::string_at(data, "error", status));
      if (!chunks_seen) {
        auto outputs = data.find("outputs");
        if (outputs != data.end()) {
          if (auto answer = workflow_answer(*outputs); !answer.empty()) deliver(answer);
        }
      }
      ended = true;
    }
  };

  net::HttpBodyHandler on_body = [&](std::string_view bytes) -> boost::asio::awaitable<bool> {
    for (const auto& ev : sse.feed(bytes)) on_event(ev);
    co_return true;
  };
  auto resp = co_await http_->stream(std::move(hr), std::move(on_body));
  out.status = resp.status;
  if (!resp.ok()) {
    out.error_body = std::move(resp.body);
    co_return out;
  }
  if (auto tail = think.finish(); !tail.empty()) {
    out.answer += tail;
    sink(ChatDelta{.text = std::move(tail), .tool_calls = {}});
  }
  if (!ended) {
    throw std::runtime_error(fmt::format("Dify stream ended before {} (incomplete answer)",
                                         mode_ == "workflows/run" ? "workflow_finished" : "message_end"));
  }
  co_return out;
}

boost::asio::awaitable<void> DifyLlm::chat(ChatRequest req, ChatSink sink) {
  ChatInput in = split_new_input(req.messages);
  const bool chat_mode = mode_ == "chat-messages";
  std::optional<std::string> conversation;
  if (chat_mode) conversation = conversations_.find(in.history);

  // A new conversation gets the tool instructions and the earlier turns in its query.
  const std::string fresh_query = fresh_conversation_query(req.messages, in);

  Outcome out;
  for (int attempt = 0;; ++attempt) {
    std::string body = conversation ? request_body(in.text, *conversation) : request_body(fresh_query, "");
    out = co_await stream_once(std::move(body), sink);
    if (out.status == 404 && conversation && attempt == 0) {
      conversations_.forget(in.history);  // Dify dropped it: start over
      conversation.reset();
      continue;
    }
    break;
  }
  if (out.status < 200 || out.status >= 300) {
    throw std::runtime_error(fmt::format("Dify HTTP {}: {}", out.status, openai_error_message(out.error_body)));
  }
  if (chat_mode && !out.conversation_id.empty()) {
    std::vector<ChatMessage> after(req.messages.begin(), req.messages.end());
    after.push_back(ChatMessage{.role = "assistant", .content = out.answer, .tool_calls = {}, .tool_call_id = {}});
    conversations_.remember(after, out.conversation_id);
  }
}

}  // namespace xz::providers
