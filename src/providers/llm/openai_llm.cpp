#include "providers/llm/openai_llm.h"
#include "protocol/json_text.h"
#include "providers/llm/llm_config_wire.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "net/http_client.h"
#include "net/sse_parser.h"
#include "providers/llm/think_filter.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

// Configuration reading: absent, null and "" (an unset ${ENV}) mean "not set".
using llm_config::opt_number;
using llm_config::opt_string;
using llm_config::shorten;

bool is_http_url(std::string_view url) { return url.starts_with("http://") || url.starts_with("https://"); }

// The host part of an http(s) URL, lower case.
std::string url_host(std::string_view url) {
  auto at = url.find("://");
  std::string_view rest = at == std::string_view::npos ? url : url.substr(at + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto userinfo = rest.rfind('@'); userinfo != std::string_view::npos) rest.remove_prefix(userinfo + 1);
  if (!rest.starts_with('[')) rest = rest.substr(0, rest.find(':'));
  std::string host(rest);
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

bool host_in_domain(std::string_view host, std::string_view domain) {
  return host == domain || (host.size() > domain.size() && host.ends_with(domain) &&
                            host[host.size() - domain.size() - 1] == '.');
}

json message_json(const ChatMessage& m) {
  json j = {{"role", m.role}};
  if (m.role == "assistant" && !m.tool_calls.empty()) {
    // The API wants content omitted (or null) when the turn only calls tools.
    if (!m.content.empty()) j["content"] = m.content;
    json calls = json::array();
    for (const auto& tc : m.tool_calls) {
      calls.push_back({{"id", tc.id},
                       {"type", "function"},
                       {"function", {{"name", tc.name}, {"arguments", tc.arguments.empty() ? "{}" : tc.arguments}}}});
    }
    j["tool_calls"] = std::move(calls);
  } else {
    j["content"] = m.content;
  }
  if (m.role == "tool") j["tool_call_id"] = m.tool_call_id;
  return j;
}

}  // namespace

std::string chat_completions_url(std::string_view base_url) {
  std::string url(base_url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!url.ends_with("/chat/completions")) url += "/chat/completions";
  return url;
}

json thinking_off_fields(std::string_view url) {
  std::string host = url_host(url);
  if (host_in_domain(host, "aliyuncs.com")) return {{"enable_thinking", false}};
  for (std::string_view d : {"deepseek.com", "bigmodel.cn", "moonshot.cn", "volces.com"}) {
    if (host_in_domain(host, d)) return {{"thinking", {{"type", "disabled"}}}};
  }
  return json::object();
}

json openai_chat_body(const OpenAiChatSettings& s, const ChatRequest& req, bool stream) {
  json messages = json::array();
  for (const auto& m : req.messages) messages.push_back(message_json(m));
  json body = {{"model", s.model}, {"messages", std::move(messages)}, {"stream", stream}};
  if (auto t = req.temperature ? req.temperature : s.temperature) body["temperature"] = *t;
  if (auto n = req.max_tokens ? req.max_tokens : s.max_tokens) body["max_tokens"] = *n;
  if (s.top_p) body["top_p"] = *s.top_p;
  if (s.frequency_penalty) body["frequency_penalty"] = *s.frequency_penalty;
  if (!req.tools.empty()) {
    json tools = json::array();
    for (const auto& t : req.tools) {
      tools.push_back({{"type", "function"},
                       {"function", {{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}}}});
    }
    body["tools"] = std::move(tools);
  }
  for (const auto& [k, v] : s.extra.items()) body[k] = v;
  return body;
}

std::string openai_error_message(std::string_view body) {
  auto j = protocol::parse_json_text(body);
  if (j.is_object()) {
    if (auto e = j.find("error"); e != j.end()) {
      if (e->is_string()) return e->get<std::string>();
      if (e->is_object()) {
        if (auto m = e->find("message"); m != e->end() && m->is_string()) return m->get<std::string>();
      }
    }
    for (const char* key : {"message", "detail", "msg"}) {
      if (auto m = j.find(key); m != j.end() && m->is_string()) return m->get<std::string>();
    }
  }
  if (body.empty()) return "(empty body)";
  return shorten(body);
}

OpenAiLlm::OpenAiLlm(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  if (!cfg.is_object()) throw EngineConfigError("not a mapping");
  auto base = opt_string(cfg, "base_url");
  const char* url_key = "base_url";
  if (!base) {
    base = opt_string(cfg, "url");
    url_key = "url";
  }
  if (!base) throw EngineConfigError("base_url: missing (set base_url or url)");
  if (!is_http_url(*base)) throw EngineConfigError(fmt::format("{}: not an http(s) URL: '{}'", url_key, *base));
  url_ = chat_completions_url(*base);

  auto model = opt_string(cfg, "model_name");
  if (!model) throw EngineConfigError("model_name: missing");
  settings_.model = *model;
  api_key_ = opt_string(cfg, "api_key").value_or("");

  settings_.temperature = opt_number(cfg, "temperature");
  settings_.top_p = opt_number(cfg, "top_p");
  settings_.frequency_penalty = opt_number(cfg, "frequency_penalty");
  if (auto n = opt_number(cfg, "max_tokens")) {
    if (*n < 1 || *n != std::floor(*n)) throw EngineConfigError("max_tokens: not a positive integer");
    settings_.max_tokens = static_cast<int>(*n);
  }
  settings_.extra = thinking_off_fields(url_);

  const auto timeouts = llm_config::timeouts(cfg, 60);
  total_timeout_ = timeouts.total;
  connect_timeout_ = timeouts.connect;

  net::HttpClientOptions http_opts;
  http_opts.ca_file = opt_string(cfg, "ca_file").value_or("");
  try {
    http_ = std::make_unique<net::HttpClient>(http_opts);
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
  }
}

OpenAiLlm::~OpenAiLlm() = default;

boost::asio::awaitable<void> OpenAiLlm::chat(ChatRequest req, ChatSink sink) {
  net::HttpClientRequest hr;
  hr.method = "POST";
  hr.url = url_;
  hr.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
  if (!api_key_.empty()) hr.headers.emplace_back("Authorization", "Bearer " + api_key_);
  hr.body = openai_chat_body(settings_, req, true).dump();
  hr.connect_timeout = connect_timeout_;
  hr.total_timeout = total_timeout_;

  net::SseParser sse;
  ThinkFilter think;
  bool done = false;      // saw data: [DONE]
  bool finished = false;  // saw a finish_reason

  auto on_event = [&](const net::SseEvent& ev) {
    if (ev.data == "[DONE]") {
      done = true;
      return;
    }
    auto j = protocol::parse_json_text(ev.data);
    if (!j.is_object()) throw std::runtime_error("LLM stream: malformed chunk: " + shorten(ev.data, 200));
    if (j.contains("error")) throw std::runtime_error("LLM stream error: " + openai_error_message(ev.data));
    auto choices = j.find("choices");
    if (choices == j.end() || !choices->is_array() || choices->empty()) return;  // e.g. a usage chunk
    const json& choice = (*choices)[0];
    ChatDelta d;
    if (auto delta = choice.find("delta"); delta != choice.end() && delta->is_object()) {
      if (auto c = delta->find("content"); c != delta->end() && c->is_string()) {
        d.text = think.feed(c->get_ref<const std::string&>());
      }
      if (auto calls = delta->find("tool_calls"); calls != delta->end() && calls->is_array()) {
        int position = 0;
        for (const auto& call : *calls) {
          ToolCallDelta tc;
          tc.index = call.contains("index") && call["index"].is_number_integer() ? call["index"].get<int>() : position;
          if (auto id = call.find("id"); id != call.end() && id->is_string()) tc.id = id->get<std::string>();
          if (auto fn = call.find("function"); fn != call.end() && fn->is_object()) {
            if (auto n = fn->find("name"); n != fn->end() && n->is_string()) tc.name = n->get<std::string>();
            if (auto a = fn->find("arguments"); a != fn->end() && a->is_string()) tc.arguments = a->get<std::string>();
          }
          d.tool_calls.push_back(std::move(tc));
          ++position;
        }
      }
    }
    if (auto fr = choice.find("finish_reason"); fr != choice.end() && fr->is_string()) finished = true;
    if (!d.text.empty() || !d.tool_calls.empty()) sink(d);
  };

  net::HttpBodyHandler on_body = [&](std::string_view bytes) -> boost::asio::awaitable<bool> {
    for (const auto& ev : sse.feed(bytes)) on_event(ev);
    co_return true;
  };
  auto resp = co_await http_->stream(std::move(hr), std::move(on_body));
  if (!resp.ok()) {
    throw std::runtime_error(fmt::format("LLM {} HTTP {}: {}", settings_.model, resp.status, openai_error_message(resp.body)));
  }
  if (auto tail = think.finish(); !tail.empty()) sink(ChatDelta{.text = std::move(tail), .tool_calls = {}});
  if (!done && !finished) throw std::runtime_error("LLM stream ended before [DONE] (incomplete answer)");
}

}  // namespace xz::providers
