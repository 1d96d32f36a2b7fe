#include "providers/llm/ollama_llm.h"

#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "net/http_client.h"
#include "protocol/json_text.h"
#include "providers/llm/ndjson_stream.h"
#include "providers/llm/openai_llm.h"
#include "providers/llm/think_filter.h"
#include "providers/llm/tool_call_text.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

json arguments_object(const std::string& args) {
  auto j = protocol::parse_json_text(args.empty() ? std::string("{}") : args);
  return j.is_object() ? j : json::object();
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

json ollama_chat_body(const OllamaChatSettings& s, const ChatRequest& req) {
  std::map<std::string, std::string> tool_names;  // call id -> tool name
  // Qwen3 thinks at length unless told not to (the reference does the same).
  std::size_t no_think_at = req.messages.size();
  if (starts_with_ci(s.model, "qwen3")) {
    for (std::size_t i = req.messages.size(); i-- > 0;) {
      if (req.messages[i].role == "user") {
        no_think_at = i;
        break;
      }
    }
  }
  json messages = json::array();
  for (std::size_t i = 0; i < req.messages.size(); ++i) {
    const auto& m = req.messages[i];
    json j = {{"role", m.role}, {"content", i == no_think_at ? "/no_think " + m.content : m.content}};
    if (m.role == "assistant" && !m.tool_calls.empty()) {
      json calls = json::array();
      for (const auto& tc : m.tool_calls) {
        tool_names[tc.id] = tc.name;
        calls.push_back({{"id", tc.id}, {"function", {{"name", tc.name}, {"arguments", arguments_object(tc.arguments)}}}});
      }
      j["tool_calls"] = std::move(calls);
    }
    if (m.role == "tool") {
      if (auto it = tool_names.find(m.tool_call_id); it != tool_names.end()) j["tool_name"] = it->second;
      if (!m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
    }
    messages.push_back(std::move(j));
  }
  json body = {{"model", s.model}, {"messages", std::move(messages)}, {"stream", true}};
  if (!req.tools.empty()) {
    json tools = json::array();
    for (const auto& t : req.tools) {
      tools.push_back({{"type", "function"},
                       {"function", {{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}}}});
    }
    body["tools"] = std::move(tools);
  }
  json options = json::object();
  if (auto t = req.temperature ? req.temperature : s.temperature) options["temperature"] = *t;
  if (auto n = req.max_tokens ? req.max_tokens : s.max_tokens) options["num_predict"] = *n;
  if (!options.empty()) body["options"] = std::move(options);
  if (!s.keep_alive.is_null()) body["keep_alive"] = s.keep_alive;
  return body;
}

OllamaLlm::OllamaLlm(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  using namespace llm_config;
  require_mapping(cfg);
  url_ = base_url(cfg, "base_url", "url", "http://localhost:11434");
  // The reference used Ollama's OpenAI-compatible /v1; the native API lives beside it.
  if (url_.ends_with("/v1")) url_.resize(url_.size() - 3);
  url_ += "/api/chat";
  auto model = opt_string(cfg, "model_name");
  if (!model) throw EngineConfigError("model_name: missing");
  settings_.model = *model;
  settings_.temperature = opt_number(cfg, "temperature");
  if (auto n = opt_integer(cfg, "max_tokens", 1)) settings_.max_tokens = static_cast<int>(*n);
  if (const json* k = find(cfg, "keep_alive")) {
    // Ollama reads a number as seconds and a string as a duration ("5m"): keep the type.
    if (!k->is_number() && !k->is_string()) throw EngineConfigError("keep_alive: not a number or a duration");
    settings_.keep_alive = *k;
  }
  timeouts_ = timeouts(cfg, 120);
  http_ = std::make_unique<net::HttpClient>();
}

OllamaLlm::~OllamaLlm() = default;

boost::asio::awaitable<void> OllamaLlm::chat(ChatRequest req, ChatSink sink) {
  net::HttpClientRequest hr;
  hr.method = "POST";
  hr.url = url_;
  hr.headers = {{"Content-Type", "application/json"}, {"Accept", "application/x-ndjson"}};
  hr.body = ollama_chat_body(settings_, req).dump();
  hr.connect_timeout = timeouts_.connect;
  hr.total_timeout = timeouts_.total;

  NdjsonLines lines;
  ThinkFilter think;
  bool done = false;
  int next_index = 0;

  auto on_line = [&](const std::string& line) {
    auto j = protocol::parse_json_text(line);
    if (!j.is_object()) throw std::runtime_error("Ollama stream: malformed line: " + llm_config::shorten(line, 200));
    if (auto e = j.find("error"); e != j.end() && !e->is_null()) {
      throw std::runtime_error("Ollama stream error: " + (e->is_string() ? e->get<std::string>() : e->dump()));
    }
    if (done) return;  // nothing counts after the final object
    ChatDelta d;
    if (auto msg = j.find("message"); msg != j.end() && msg->is_object()) {
      if (auto c = msg->find("content"); c != msg->end() && c->is_string()) {
        d.text = think.feed(c->get_ref<const std::string&>());
      }
      if (auto calls = msg->find("tool_calls"); calls != msg->end() && calls->is_array()) {
        for (const auto& call : *calls) {
          auto fn = call.find("function");
          if (fn == call.end() || !fn->is_object()) continue;
          ToolCallDelta tc;
          tc.index = next_index++;
          auto id = call.find("id");
          tc.id = id != call.end() && id->is_string() && !id->get_ref<const std::string&>().empty() ? id->get<std::string>()
                                                                                                   : make_tool_call_id();
          tc.name = wire::string_at(*fn, "name");
          if (auto a = fn->find("arguments"); a != fn->end()) {
            tc.arguments = a->is_string() ? a->get<std::string>() : (a->is_null() ? "{}" : a->dump());
          } else {
            tc.arguments = "{}";
          }
          d.tool_calls.push_back(std::move(tc));
        }
      }
    }
    if (wire::bool_at(j, "done")) done = true;
    if (!d.text.empty() || !d.tool_calls.empty()) sink(d);
  };

  net::HttpBodyHandler on_body = [&](std::string_view bytes) -> boost::asio::awaitable<bool> {
    for (const auto& line : lines.feed(bytes)) on_line(line);
    co_return true;
  };
  auto resp = co_await http_->stream(std::move(hr), std::move(on_body));
  if (!resp.ok()) {
    throw std::runtime_error(
        fmt::format("Ollama {} HTTP {}: {}", settings_.model, resp.status, openai_error_message(resp.body)));
  }
  if (auto last = lines.finish(); !last.empty()) on_line(last);
  if (auto tail = think.finish(); !tail.empty()) sink(ChatDelta{.text = std::move(tail), .tool_calls = {}});
  if (!done) throw std::runtime_error("Ollama stream ended before \"done\": true (incomplete answer)");
}

}  // namespace xz::providers
