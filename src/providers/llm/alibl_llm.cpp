#include "providers/llm/alibl_llm.h"

#include <stdexcept>

#include <boost/system/system_error.hpp>
#include <fmt/format.h>

#include "net/http_client.h"
#include "net/sse_parser.h"
#include "providers/llm/think_filter.h"
#include "providers/llm/tool_call_text.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

std::string code_and_message(const json& j) {
  std::string code = wire::string_at(j, "code");
  std::string message = wire::string_at(j, "message");
  if (code.empty() && message.empty()) return {};
  if (code.empty()) return message;
  return message.empty() ? code : code + ": " + message;
}

}  // namespace

std::string dashscope_api_base(std::string_view base_url) {
  std::string url(base_url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  const auto scheme = url.find("://");
  const auto path_at = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const std::string origin = url.substr(0, path_at);
  const std::string path = path_at == std::string::npos ? "" : url.substr(path_at);
  if (path.empty() || path == "/compatible-mode/v1") return origin + "/api/v1";
  return url;
}

DashScopeEvent parse_dashscope_event(std::string_view event, std::string_view data) {
  DashScopeEvent out;
  auto j = json::parse(data, nullptr, false);
  if (event == "error") {
    std::string reason = j.is_object() ? code_and_message(j) : std::string();
    throw std::runtime_error("AliBL error: " + (reason.empty() ? llm_config::shorten(data, 200) : reason));
  }
  if (data.empty()) return out;
  if (!j.is_object()) throw std::runtime_error("AliBL stream: malformed event: " + llm_config::shorten(data, 200));
  auto output = j.find("output");
  if (output == j.end() || !output->is_object()) {
    // A result without output is DashScope reporting a failure in the stream.
    if (std::string reason = code_and_message(j); !reason.empty()) throw std::runtime_error("AliBL error: " + reason);
    return out;
  }
  out.text = wire::string_at(*output, "text");
  std::string finish = wire::string_at(*output, "finish_reason", "null");
  out.done = !finish.empty() && finish != "null";
  return out;
}

std::string dashscope_error_message(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (std::string reason = code_and_message(j); !reason.empty()) return reason;
  }
  net::SseParser sse;
  try {
    std::string text(body);
    if (!text.ends_with("\n\n")) text += "\n\n";
    for (const auto& ev : sse.feed(text)) {
      auto d = json::parse(ev.data, nullptr, false);
      if (d.is_object()) {
        if (std::string reason = code_and_message(d); !reason.empty()) return reason;
      }
    }
  } catch (const std::exception&) {
  }
  return body.empty() ? "(empty body)" : llm_config::shorten(body, 200);
}

AliBlLlm::AliBlLlm(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  using namespace llm_config;
  require_mapping(cfg);
  auto app = opt_string(cfg, "app_id");
  if (!app) throw EngineConfigError("app_id: missing (the Bailian application's id)");
  if (app->find_first_of("/?#% ") != std::string::npos) throw EngineConfigError("app_id: not an application id: '" + *app + "'");
  auto key = opt_string(cfg, "api_key");
  if (!key) throw EngineConfigError("api_key: missing (a DashScope API key)");
  api_key_ = *key;
  url_ = dashscope_api_base(base_url(cfg, "base_url", "url", "https://dashscope.aliyuncs.com/api/v1")) + "/apps/" +
         *app + "/completion";
  no_prompt_ = opt_bool(cfg, "is_no_prompt").value_or(true);
  if (const json* m = find(cfg, "ali_memory_id")) {
    if (m->is_boolean()) {
      if (m->get<bool>()) throw EngineConfigError("ali_memory_id: true is no memory id (false, or the id)");
    } else {
      memory_id_ = opt_string(cfg, "ali_memory_id");
    }
  }
  timeouts_ = timeouts(cfg, 120);
  http_ = std::make_unique<net::HttpClient>();
}

AliBlLlm::~AliBlLlm() = default;

json AliBlLlm::request_body(const std::vector<ChatMessage>& messages) const {
  json list = json::array();
  std::string last_user;
  for (const auto& m : tool_calls_as_text(messages)) {
    if (m.role == "system" && no_prompt_) continue;
    if (m.role == "user") last_user = m.content;
    list.push_back({{"role", m.role}, {"content", m.content}});
  }
  json input = {{"messages", std::move(list)}};
  if (memory_id_) {
    input["memory_id"] = *memory_id_;
    input["prompt"] = last_user;
  }
  return {{"input", std::move(input)}, {"parameters", {{"incremental_output", true}}}, {"debug", json::object()}};
}

boost::asio::awaitable<void> AliBlLlm::chat(ChatRequest req, ChatSink sink) {
  try {
    net::HttpClientRequest hr;
    hr.method = "POST";
    hr.url = url_;
    hr.headers = {{"Content-Type", "application/json"},
                  {"Accept", "text/event-stream"},
                  {"X-DashScope-SSE", "enable"},
                  {"Authorization", "Bearer " + api_key_}};
    hr.body = request_body(req.messages).dump();
    hr.connect_timeout = timeouts_.connect;
    hr.total_timeout = timeouts_.total;
    hr.max_response_bytes = 16 << 20;

    net::SseParser sse;
    ThinkFilter think;
    bool done = false;
    net::HttpBodyHandler on_body = [&](std::string_view bytes) -> boost::asio::awaitable<bool> {
      for (const auto& ev : sse.feed(bytes)) {
        if (done) break;
        DashScopeEvent e = parse_dashscope_event(ev.event, ev.data);
        if (auto text = think.feed(e.text); !text.empty()) sink(ChatDelta{.text = std::move(text), .tool_calls = {}});
        done = e.done;
      }
      co_return true;
    };
    auto resp = co_await http_->stream(std::move(hr), std::move(on_body));
    if (!resp.ok()) throw std::runtime_error(fmt::format("AliBL HTTP {}: {}", resp.status, dashscope_error_message(resp.body)));
    if (auto tail = think.finish(); !tail.empty()) sink(ChatDelta{.text = std::move(tail), .tool_calls = {}});
    if (!done) throw std::runtime_error("AliBL stream ended before finish_reason stop (incomplete answer)");
  } catch (const boost::system::system_error&) {
    throw;  // cancellation (barge-in) passes unchanged
  } catch (const std::exception& e) {
    throw std::runtime_error(llm_config::named_message("AliBL", e.what()));
  }
}

}  // namespace xz::providers
