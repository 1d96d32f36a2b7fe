#include "providers/llm/gemini_llm.h"

#include <array>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "net/http_client.h"
#include "net/sse_parser.h"
#include "protocol/json_text.h"
#include "providers/llm/openai_llm.h"
#include "providers/llm/tool_call_text.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

constexpr std::size_t kMaxSignatures = 4096;

constexpr std::array<std::string_view, 21> kSchemaKeys = {
    "type",      "format",   "title",     "description",   "nullable",      "enum",      "maxItems",
    "minItems",  "required", "minLength", "maxLength",     "pattern",       "example",   "anyOf",
    "default",   "minimum",  "maximum",   "minProperties", "maxProperties", "propertyOrdering", "items"};

bool known_schema_key(std::string_view k) {
  for (auto key : kSchemaKeys) {
    if (key == k) return true;
  }
  return false;
}

// A tool result as the object functionResponse.response must be.
json response_object(const std::string& content) {
  auto j = protocol::parse_json_text(content);
  if (j.is_object()) return j;
  return {{"result", j.is_discarded() ? json(content) : j}};
}

json args_object(const std::string& args) {
  auto j = protocol::parse_json_text(args.empty() ? std::string("{}") : args);
  return j.is_object() ? j : json::object();
}

void append_content(json& contents, const std::string& role, json part) {
  // Consecutive turns of one role are one content (e.g. the results of parallel calls).
  if (!contents.empty() && contents.back()["role"] == role) {
    contents.back()["parts"].push_back(std::move(part));
  } else {
    contents.push_back({{"role", role}, {"parts", json::array({std::move(part)})}});
  }
}

}  // namespace

json gemini_schema(const json& schema) {
  if (!schema.is_object()) return schema;
  json out = json::object();
  for (const auto& [k, v] : schema.items()) {
    if (k == "properties" && v.is_object()) {
      json props = json::object();
      for (const auto& [name, sub] : v.items()) props[name] = gemini_schema(sub);
      out[k] = std::move(props);
    } else if (k == "items") {
      out[k] = gemini_schema(v);
    } else if (k == "anyOf" && v.is_array()) {
      json alts = json::array();
      for (const auto& sub : v) alts.push_back(gemini_schema(sub));
      out[k] = std::move(alts);
    } else if (known_schema_key(k)) {
      out[k] = v;
    }
  }
  return out;
}

void GeminiLlm::Signatures::put(const std::string& id, std::string signature) {
  std::lock_guard lk(mu_);
  if (by_id_.insert_or_assign(id, std::move(signature)).second) order_.push_back(id);
  while (by_id_.size() > kMaxSignatures && !order_.empty()) {
    by_id_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<std::string> GeminiLlm::Signatures::get(const std::string& id) const {
  std::lock_guard lk(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

GeminiLlm::GeminiLlm(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  using namespace llm_config;
  require_mapping(cfg);
  for (const char* proxy : {"http_proxy", "https_proxy"}) {
    if (opt_string(cfg, proxy)) {
      throw EngineConfigError(fmt::format(
          "{}: proxies are not supported by this server (it connects directly); remove http_proxy/https_proxy, "
          "or set base_url to a relay that reaches Gemini",
          proxy));
    }
  }
  auto key = opt_string(cfg, "api_key");
  if (!key) throw EngineConfigError("api_key: missing");
  api_key_ = *key;
  settings_.model = opt_string(cfg, "model_name").value_or("gemini-2.0-flash");
  if (settings_.model.find_first_of("/?#: ") != std::string::npos) {
    throw EngineConfigError(fmt::format("model_name: '{}' is not a model name", settings_.model));
  }
  if (auto t = opt_number(cfg, "temperature")) settings_.temperature = *t;
  if (auto p = opt_number(cfg, "top_p")) settings_.top_p = *p;
  if (auto k = opt_integer(cfg, "top_k", 1)) settings_.top_k = static_cast<int>(*k);
  if (auto n = opt_integer(cfg, "max_tokens", 1)) settings_.max_tokens = static_cast<int>(*n);
  std::string base = base_url(cfg, "base_url", "url", "https://generativelanguage.googleapis.com");
  if (!base.ends_with("/v1beta") && !base.ends_with("/v1")) base += "/v1beta";
  url_ = fmt::format("{}/models/{}:streamGenerateContent?alt=sse", base, settings_.model);
  timeouts_ = timeouts(cfg, 120);
  http_ = std::make_unique<net::HttpClient>();
}

GeminiLlm::~GeminiLlm() = default;

json GeminiLlm::request_body(const ChatRequest& req) const {
  std::map<std::string, std::string> tool_names;  // call id -> tool name
  std::string system;
  json contents = json::array();
  for (const auto& m : req.messages) {
    if (m.role == "system") {
      if (!system.empty()) system += "\n\n";
      system += m.content;
    } else if (m.role == "assistant") {
      if (!m.content.empty()) append_content(contents, "model", {{"text", m.content}});
      for (const auto& tc : m.tool_calls) {
        tool_names[tc.id] = tc.name;
        json part = {{"functionCall", {{"name", tc.name}, {"args", args_object(tc.arguments)}}}};
        if (auto sig = signatures_.get(tc.id)) part["thoughtSignature"] = *sig;
        append_content(contents, "model", std::move(part));
      }
    } else if (m.role == "tool") {
      auto it = tool_names.find(m.tool_call_id);
      std::string name = it != tool_names.end() ? it->second : m.tool_call_id;
      append_content(contents, "user", {{"functionResponse", {{"name", name}, {"response", response_object(m.content)}}}});
    } else {
      append_content(contents, "user", {{"text", m.content}});
    }
  }
  json body = {{"contents", std::move(contents)}};
  if (!system.empty()) body["systemInstruction"] = {{"parts", json::array({json{{"text", system}}})}};
  if (!req.tools.empty()) {
    json decls = json::array();
    for (const auto& t : req.tools) {
      json d = {{"name", t.name}, {"description", t.description}};
      json params = gemini_schema(t.parameters);
      // An object without properties is rejected: such a tool simply takes no parameters.
      bool empty_object = params.is_object() && (!params.contains("properties") || params["properties"].empty());
      if (!params.is_null() && !empty_object) d["parameters"] = std::move(params);
      decls.push_back(std::move(d));
    }
    body["tools"] = json::array({json{{"functionDeclarations", std::move(decls)}}});
  }
  body["generationConfig"] = {{"temperature", req.temperature.value_or(settings_.temperature)},
                              {"topP", settings_.top_p},
                              {"topK", settings_.top_k},
                              {"maxOutputTokens", req.max_tokens.value_or(settings_.max_tokens)}};
  return body;
}

boost::asio::awaitable<void> GeminiLlm::chat(ChatRequest req, ChatSink sink) {
  json body = request_body(req);
  if (body["contents"].empty()) throw std::runtime_error("Gemini: the request has no user or model turn");
  net::HttpClientRequest hr;
  hr.method = "POST";
  hr.url = url_;
  hr.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}, {"x-goog-api-key", api_key_}};
  hr.body = body.dump();
  hr.connect_timeout = timeouts_.connect;
  hr.total_timeout = timeouts_.total;

  net::SseParser sse;
  std::string finish_reason;
  int next_index = 0;

  auto on_event = [&](const net::SseEvent& ev) {
    auto j = protocol::parse_json_text(ev.data);
    if (!j.is_object()) throw std::runtime_error("Gemini stream: malformed chunk: " + llm_config::shorten(ev.data, 200));
    if (j.contains("error")) throw std::runtime_error("Gemini stream error: " + openai_error_message(ev.data));
    if (auto fb = j.find("promptFeedback"); fb != j.end() && fb->is_object() && fb->contains("blockReason")) {
      const json& why = (*fb)["blockReason"];
      throw std::runtime_error("Gemini blocked the prompt: " + (why.is_string() ? why.get<std::string>() : why.dump()));
    }
    auto cands = j.find("candidates");
    if (cands == j.end() || !cands->is_array() || cands->empty()) return;  // e.g. usage only
    const json& cand = (*cands)[0];
    ChatDelta d;
    if (auto content = cand.find("content"); content != cand.end() && content->is_object()) {
      if (auto parts = content->find("parts"); parts != content->end() && parts->is_array()) {
        for (const auto& part : *parts) {
          if (auto fc = part.find("functionCall"); fc != part.end() && fc->is_object()) {
            ToolCallDelta tc;
            tc.index = next_index++;
            std::string given = wire::string_at(*fc, "id");
            tc.id = given.empty() ? make_tool_call_id() : given;
            tc.name = wire::string_at(*fc, "name");
            auto args = fc->find("args");
            tc.arguments = args != fc->end() && args->is_object() ? args->dump() : "{}";
            if (auto sig = part.find("thoughtSignature"); sig != part.end() && sig->is_string()) {
              signatures_.put(tc.id, sig->get<std::string>());
            }
            d.tool_calls.push_back(std::move(tc));
          } else if (auto text = part.find("text"); text != part.end() && text->is_string()) {
            if (wire::bool_at(part, "thought")) continue;  // reasoning summaries are not the answer
            d.text += text->get_ref<const std::string&>();
          }
        }
      }
    }
    if (auto fr = cand.find("finishReason"); fr != cand.end() && fr->is_string()) finish_reason = fr->get<std::string>();
    if (!d.text.empty() || !d.tool_calls.empty()) sink(d);
  };

  net::HttpBodyHandler on_body = [&](std::string_view bytes) -> boost::asio::awaitable<bool> {
    for (const auto& ev : sse.feed(bytes)) on_event(ev);
    co_return true;
  };
  auto resp = co_await http_->stream(std::move(hr), std::move(on_body));
  if (!resp.ok()) {
    throw std::runtime_error(
        fmt::format("Gemini {} HTTP {}: {}", settings_.model, resp.status, openai_error_message(resp.body)));
  }
  if (finish_reason.empty()) throw std::runtime_error("Gemini stream ended without a finishReason (incomplete answer)");
  if (finish_reason != "STOP" && finish_reason != "MAX_TOKENS") {
    throw std::runtime_error("Gemini stopped the answer: " + finish_reason);
  }
}

}  // namespace xz::providers
