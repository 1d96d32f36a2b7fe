#include "providers/llm/fastgpt_llm.h"

#include <random>
#include <stdexcept>
#include <vector>

#include <boost/system/system_error.hpp>
#include <fmt/format.h>

#include "net/http_client.h"
#include "net/sse_parser.h"
#include "providers/llm/openai_llm.h"
#include "providers/llm/think_filter.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

// FastGPT wants chat ids unique per app and shorter than 250 characters.
std::string new_chat_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("xiaozhi-{:016x}", rng());
}

// FastGPT's error data: {"message"} or its envelope {code, statusText, message}.
std::string error_text(std::string_view data) {
  auto j = json::parse(data, nullptr, false);
  if (j.is_object()) {
    std::string message = wire::string_at(j, "message");
    std::string status = wire::string_at(j, "statusText");
    if (!message.empty() && !status.empty()) return message + " (" + status + ")";
    if (!message.empty()) return message;
  }
  return llm_config::shorten(data, 200);
}

}  // namespace

FastGptEvent parse_fastgpt_event(std::string_view event, std::string_view data) {
  FastGptEvent out;
  if (event == "error") throw std::runtime_error("FastGPT error: " + error_text(data));
  // Answers come as unnamed `data:` events, or as `answer` / `fastAnswer` with detail;
  // workflow events (flowNodeStatus, flowResponses, toolCall, ...) carry no answer text.
  if (event != "message" && event != "answer" && event != "fastAnswer") return out;
  if (data == "[DONE]") {
    out.done = true;
    return out;
  }
  auto j = json::parse(data, nullptr, false);
  if (!j.is_object()) throw std::runtime_error("FastGPT stream: malformed chunk: " + llm_config::shorten(data, 200));
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) return out;
  const json& choice = (*choices)[0];
  if (auto delta = choice.find("delta"); delta != choice.end() && delta->is_object()) {
    out.text = wire::string_at(*delta, "content");  // reasoning_content is not spoken
  }
  if (auto fr = choice.find("finish_reason"); fr != choice.end() && fr->is_string()) out.done = true;
  return out;
}

FastGptLlm::FastGptLlm(const EngineConfig& cfg, ProviderContext& /*ctx*/) {
  using namespace llm_config;
  require_mapping(cfg);
  url_ = base_url(cfg, "base_url", "url", "") + "/chat/completions";
  auto key = opt_string(cfg, "api_key");
  if (!key) throw EngineConfigError("api_key: missing (the FastGPT app's API key)");
  api_key_ = *key;
  detail_ = opt_bool(cfg, "detail").value_or(false);
  if (const json* v = find(cfg, "variables")) {
    if (!v->is_object()) throw EngineConfigError("variables: not a mapping");
    variables_ = *v;
  }
  timeouts_ = timeouts(cfg, 120);
  http_ = std::make_unique<net::HttpClient>();
}

FastGptLlm::~FastGptLlm() = default;

boost::asio::awaitable<std::string> FastGptLlm::stream(std::string body, ChatSink& sink) {
  net::HttpClientRequest hr;
  hr.method = "POST";
  hr.url = url_;
  hr.headers = {{"Content-Type", "application/json"},
                {"Accept", "text/event-stream"},
                {"Authorization", "Bearer " + api_key_}};
  hr.body = std::move(body);
  hr.connect_timeout = timeouts_.connect;
  hr.total_timeout = timeouts_.total;
  hr.max_response_bytes = 16 << 20;

  net::SseParser sse;
  ThinkFilter think;
  std::string answer;
  bool done = false;
  net::HttpBodyHandler on_body = [&](std::string_view bytes) -> boost::asio::awaitable<bool> {
    for (const auto& ev : sse.feed(bytes)) {
      if (done) break;
      FastGptEvent e = parse_fastgpt_event(ev.event, ev.data);
      if (auto text = think.feed(e.text); !text.empty()) {
        answer += text;
        sink(ChatDelta{.text = std::move(text), .tool_calls = {}});
      }
      done = done || e.done;
    }
    co_return true;
  };
  auto resp = co_await http_->stream(std::move(hr), std::move(on_body));
  if (!resp.ok()) throw std::runtime_error(fmt::format("FastGPT HTTP {}: {}", resp.status, error_text(resp.body)));
  if (auto tail = think.finish(); !tail.empty()) {
    answer += tail;
    sink(ChatDelta{.text = std::move(tail), .tool_calls = {}});
  }
  if (!done) throw std::runtime_error("FastGPT stream ended before [DONE] (incomplete answer)");
  co_return answer;
}

boost::asio::awaitable<void> FastGptLlm::chat(ChatRequest req, ChatSink sink) {
  try {
    ChatInput in = split_new_input(req.messages);
    auto chat_id = chats_.find(in.history);
    const std::string question = chat_id ? in.text : fresh_conversation_query(req.messages, in);
    if (!chat_id) chat_id = new_chat_id();
    json body = {{"stream", true},
                 {"chatId", *chat_id},
                 {"detail", detail_},
                 {"variables", variables_},
                 {"messages", json::array({{{"role", "user"}, {"content", question}}})}};
    std::string answer = co_await stream(body.dump(), sink);
    std::vector<ChatMessage> after(req.messages.begin(), req.messages.end());
    after.push_back(ChatMessage{.role = "assistant", .content = std::move(answer), .tool_calls = {}, .tool_call_id = {}});
    chats_.remember(after, *chat_id);
  } catch (const boost::system::system_error&) {
    throw;  // cancellation (barge-in) passes unchanged
  } catch (const std::exception& e) {
    throw std::runtime_error(llm_config::named_message("FastGPT", e.what()));
  }
}

}  // namespace xz::providers
