#include "providers/vllm/openai_vllm.h"

#include <stdexcept>

#include <fmt/format.h>

#include "core/async.h"
#include "net/http_client.h"
#include "protocol/encoding.h"
#include "protocol/json_text.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/llm/openai_llm.h"
#include "providers/llm/think_filter.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

// Answers are short (max_tokens); anything near this is not a chat completion.
constexpr std::size_t kMaxAnswerBytes = 4 << 20;

std::string content_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  // Some servers answer with content parts, as in the request.
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string())
        out += part["text"].get<std::string>();
    }
  }
  return out;
}

}  // namespace

std::string openai_vision_body(const OpenAiVllmSettings& s, std::string_view image_bytes, std::string_view mime_type,
                               std::string_view question) {
  std::string data_url = fmt::format("data:{};base64,{}", mime_type, protocol::base64_encode(image_bytes));
  json content = json::array({json{{"type", "text"}, {"text", question}},
                              json{{"type", "image_url"}, {"image_url", {{"url", std::move(data_url)}}}}});
  json body = {{"model", s.model},
               {"messages", json::array({json{{"role", "user"}, {"content", std::move(content)}}})},
               {"stream", false},
               {"max_tokens", s.max_tokens},
               {"temperature", s.temperature}};
  if (s.top_p) body["top_p"] = *s.top_p;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string openai_vision_answer(std::string_view body) {
  auto j = protocol::parse_json_text(body);
  if (!j.is_object()) throw std::runtime_error("VLLM answer is not JSON: " + llm_config::shorten(body, 200));
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty()) {
    if (j.contains("error")) throw std::runtime_error("VLLM error: " + openai_error_message(body));
    throw std::runtime_error("VLLM answer has no choices: " + llm_config::shorten(body, 200));
  }
  const json& choice = (*choices)[0];
  auto message = choice.is_object() ? choice.find("message") : choice.end();
  if (message == choice.end() || !message->is_object() || !message->contains("content"))
    throw std::runtime_error("VLLM answer has no message content: " + llm_config::shorten(body, 200));
  ThinkFilter think;
  std::string text = think.feed(content_text((*message)["content"]));
  text += think.finish();
  if (text.empty()) throw std::runtime_error("VLLM returned an empty answer");
  return text;
}

OpenAiVllm::OpenAiVllm(const EngineConfig& cfg, ProviderContext& ctx) : pool_(ctx.pool) {
  llm_config::require_mapping(cfg);
  url_ = chat_completions_url(llm_config::base_url(cfg, "base_url", "url", ""));
  auto model = llm_config::opt_string(cfg, "model_name");
  if (!model) throw EngineConfigError("model_name: missing");
  settings_.model = *model;
  api_key_ = llm_config::opt_string(cfg, "api_key").value_or("");
  if (auto n = llm_config::opt_integer(cfg, "max_tokens", 1)) {
    if (*n > 1'000'000) throw EngineConfigError("max_tokens: too large");
    settings_.max_tokens = static_cast<int>(*n);
  }
  if (auto t = llm_config::opt_number(cfg, "temperature")) {
    if (*t < 0 || *t > 2) throw EngineConfigError("temperature: must be between 0 and 2");
    settings_.temperature = *t;
  }
  if (auto p = llm_config::opt_number(cfg, "top_p")) {
    if (*p <= 0 || *p > 1) throw EngineConfigError("top_p: must be in (0, 1]");
    settings_.top_p = *p;
  }
  auto t = llm_config::timeouts(cfg, 30);
  connect_timeout_ = t.connect;
  total_timeout_ = t.total;

  net::HttpClientOptions http_opts;
  http_opts.ca_file = llm_config::opt_string(cfg, "ca_file").value_or("");
  try {
    http_ = std::make_unique<net::HttpClient>(http_opts);
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
  }
}

OpenAiVllm::~OpenAiVllm() = default;

boost::asio::awaitable<std::string> OpenAiVllm::explain(std::string image_bytes, std::string mime_type,
                                                        std::string question) {
  if (image_bytes.empty()) throw std::runtime_error("VLLM: empty image");
  // Base64 and JSON of a multi-megabyte image: pool work, not loop work.
  auto build = [s = settings_, img = std::move(image_bytes), mime = std::move(mime_type),
                q = std::move(question)] { return openai_vision_body(s, img, mime, q); };
  std::string body = co_await core::offload(pool_, std::move(build));

  net::HttpClientRequest hr;
  hr.method = "POST";
  hr.url = url_;
  hr.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  if (!api_key_.empty()) hr.headers.emplace_back("Authorization", "Bearer " + api_key_);
  hr.body = std::move(body);
  hr.connect_timeout = connect_timeout_;
  hr.total_timeout = total_timeout_;
  hr.max_response_bytes = kMaxAnswerBytes;

  net::HttpClientResponse resp = co_await http_->request(std::move(hr));
  if (!resp.ok()) {
    throw std::runtime_error(
        fmt::format("VLLM {} HTTP {}: {}", settings_.model, resp.status, openai_error_message(resp.body)));
  }
  co_return openai_vision_answer(resp.body);
}

}  // namespace xz::providers
