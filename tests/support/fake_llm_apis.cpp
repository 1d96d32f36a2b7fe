#include "support/fake_llm_apis.h"
#include "support/peer_close.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace xz::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;
template <class T = void>
using Task = asio::awaitable<T>;

struct FakeLlmApis::Impl {
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::deque<FakeLlmReply> replies;
  std::function<FakeLlmReply(const FakeLlmRequest&)> default_reply;
  std::string api_key;
  std::set<std::string> conversations;  // Dify's
  int next_conversation = 0;
  std::vector<FakeLlmRequest> requests;
  std::vector<Clock::time_point> token_times;
  std::size_t disconnects = 0;
  std::atomic<std::size_t> accepted{0};
  std::uint16_t port = 0;

  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;

  void note_disconnect() {
    {
      std::lock_guard lk(mu);
      ++disconnects;
    }
    cv.notify_all();
  }
};

namespace {

using Impl = FakeLlmApis::Impl;
using Request = http::request<http::string_body>;

// ------------------------------------------------------------------ what to send

struct Step {
  std::chrono::milliseconds delay{0};
  std::string bytes;
  bool token = false;  // an answer token (its send time is recorded)
};

struct Script {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;          // a whole answer (not streamed)
  bool streamed = false;     // chunked body of `steps`
  std::vector<Step> steps;
  std::optional<std::size_t> drop_before;  // close the socket before this step
  std::chrono::milliseconds delay{0};      // before a whole answer
  bool hang = false;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> word_tokens(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ' ' && !cur.empty() && cur.back() != ' ') {
      out.push_back(std::move(cur));
      cur.clear();
    }
    cur.push_back(c);
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string last_user_text(const FakeLlmRequest& req) {
  const json& b = req.json;
  if (!b.is_object()) return {};
  std::string text;
  if (b.contains("messages") && b["messages"].is_array()) {  // Ollama
    for (const auto& m : b["messages"]) {
      if (m.value("role", "") == "user" && m.contains("content") && m["content"].is_string()) text = m["content"];
    }
  } else if (b.contains("contents") && b["contents"].is_array()) {  // Gemini
    for (const auto& c : b["contents"]) {
      if (c.value("role", "") != "user" || !c.contains("parts")) continue;
      std::string t;
      for (const auto& p : c["parts"]) {
        if (p.contains("text") && p["text"].is_string()) t += p["text"].get<std::string>();
      }
      if (!t.empty()) text = t;
    }
  } else if (b.contains("additional_messages") && b["additional_messages"].is_array()) {  // Coze
    for (const auto& m : b["additional_messages"]) {
      if (m.value("role", "") == "user" && m.contains("content") && m["content"].is_string()) text = m["content"];
    }
  } else if (b.contains("input") && b["input"].is_object()) {  // DashScope application
    const json& in = b["input"];
    if (in.contains("prompt") && in["prompt"].is_string()) {
      text = in["prompt"];
    } else if (in.contains("messages") && in["messages"].is_array()) {
      for (const auto& m : in["messages"]) {
        if (m.value("role", "") == "user" && m.contains("content") && m["content"].is_string()) text = m["content"];
      }
    }
  } else if (b.contains("query") && b["query"].is_string()) {  // Dify chat
    text = b["query"];
  } else if (b.contains("inputs") && b["inputs"].is_object() && b["inputs"].contains("query")) {  // Dify others
    text = b["inputs"].value("query", "");
  } else if (b.contains("text") && b["text"].is_string()) {  // Home Assistant
    text = b["text"];
  }
  return text;
}

FakeLlmReply echo_reply(const FakeLlmRequest& req) {
  std::string text = last_user_text(req);
  if (text.empty()) text = "Hello from the fake.";
  FakeLlmReply r;
  r.tokens = word_tokens(text);
  return r;
}

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Token steps with their delays, then the rest; drop_mid_stream cuts after half the tokens.
void add_tokens(Script& s, const FakeLlmReply& r, const std::function<std::string(const std::string&)>& render) {
  std::size_t half = (r.tokens.size() + 1) / 2;
  for (std::size_t i = 0; i < r.tokens.size(); ++i) {
    if (r.drop_mid_stream && i == half) s.drop_before = s.steps.size();
    s.steps.push_back({i == 0 ? r.first_token_delay : r.token_interval, render(r.tokens[i]), true});
  }
  if (r.drop_mid_stream && !s.drop_before) s.drop_before = s.steps.size();
}

// ------------------------------------------------------------------ Ollama

Script ollama(const FakeLlmRequest& req, const FakeLlmReply& r) {
  Script s;
  const json& b = req.json;
  if (!b.is_object() || !b.contains("model") || !b.contains("messages")) {
    s.status = 400;
    s.body = json{{"error", "model and messages are required"}}.dump();
    return s;
  }
  std::string model = b["model"];
  if (r.http_status != 200) {
    s.status = r.http_status;
    s.body = !r.error_body.empty() ? r.error_body
             : r.http_status == 404
                 ? json{{"error", "model \"" + model + "\" not found, try pulling it first"}}.dump()
                 : json{{"error", "fake error " + std::to_string(r.http_status)}}.dump();
    return s;
  }
  s.streamed = true;
  s.content_type = "application/x-ndjson";
  auto line = [&](json message, bool done) {
    json j = {{"model", model}, {"created_at", iso_now()}, {"message", std::move(message)}, {"done", done}};
    return j.dump() + "\n";
  };
  add_tokens(s, r, [&](const std::string& tok) { return line({{"role", "assistant"}, {"content", tok}}, false); });
  if (!r.tool_calls.empty()) {
    json calls = json::array();
    for (const auto& tc : r.tool_calls) {
      json call = {{"function", {{"name", tc.name}, {"arguments", json::parse(tc.arguments)}}}};
      if (!tc.id.empty()) call["id"] = tc.id;
      calls.push_back(std::move(call));
    }
    s.steps.push_back({r.token_interval, line({{"role", "assistant"}, {"content", ""}, {"tool_calls", calls}}, false), false});
  }
  if (!r.stream_error.empty()) s.steps.push_back({{}, json{{"error", r.stream_error}}.dump() + "\n", false});
  if (!r.omit_end) {
    json last = {{"model", model}, {"created_at", iso_now()}, {"message", {{"role", "assistant"}, {"content", ""}}},
                 {"done_reason", "stop"}, {"done", true}, {"total_duration", 123456},
                 {"eval_count", r.tokens.size()}};
    s.steps.push_back({{}, last.dump() + "\n", false});
  }
  return s;
}

// ------------------------------------------------------------------ Dify

Script dify(Impl& self, const FakeLlmRequest& req, const FakeLlmReply& r) {
  Script s;
  auto error = [&](int status, const std::string& code, const std::string& message) {
    s.status = status;
    s.body = json{{"code", code}, {"message", message}, {"status", status}}.dump();
    return s;
  };
  std::string key;
  {
    std::lock_guard lk(self.mu);
    key = self.api_key;
  }
  auto auth = req.headers.find("authorization");
  if (!key.empty() && (auth == req.headers.end() || auth->second != "Bearer " + key)) {
    return error(401, "unauthorized", "Access token is invalid");
  }
  const json& b = req.json;
  std::string mode = req.path.substr(req.path.rfind('/') + 1);
  if (req.path.ends_with("/workflows/run")) mode = "workflow";
  if (!b.is_object() || !b.contains("user") || b.value("response_mode", "") != "streaming") {
    return error(400, "invalid_param", "user and response_mode streaming are required");
  }
  if (mode == "chat-messages" && (!b.contains("query") || !b["query"].is_string())) {
    return error(400, "invalid_param", "query is required");
  }
  std::string conversation;
  if (mode == "chat-messages") {
    conversation = b.value("conversation_id", "");
    std::lock_guard lk(self.mu);
    if (!conversation.empty() && !self.conversations.contains(conversation)) {
      s.status = 404;
      s.body = json{{"code", "not_found"}, {"message", "Conversation Not Exists."}, {"status", 404}}.dump();
      return s;
    }
    if (conversation.empty()) {
      conversation = r.conversation_id.empty() ? "conv-" + std::to_string(++self.next_conversation) : r.conversation_id;
      self.conversations.insert(conversation);
    }
  }
  if (r.http_status != 200) {
    s.status = r.http_status;
    s.body = !r.error_body.empty() ? r.error_body
                                   : json{{"code", "internal_server_error"}, {"message", "fake error " + std::to_string(r.http_status)},
                                          {"status", r.http_status}}.dump();
    return s;
  }
  s.streamed = true;
  s.content_type = "text/event-stream";
  auto sse = [](const json& j) { return "data: " + j.dump() + "\n\n"; };
  const std::string task = "task-1", message_id = "msg-1";
  s.steps.push_back({{}, "event: ping\n\n", false});
  std::string full;
  for (const auto& t : r.tokens) full += t;
  if (mode == "workflow") {
    s.steps.push_back({{}, sse({{"event", "workflow_started"}, {"task_id", task}, {"data", {{"id", "run-1"}}}}), false});
    add_tokens(s, r, [&](const std::string& tok) {
      return sse({{"event", "text_chunk"}, {"task_id", task}, {"data", {{"text", tok}, {"from_variable_selector", {"llm", "text"}}}}});
    });
  } else {
    add_tokens(s, r, [&](const std::string& tok) {
      json ev = {{"event", "message"}, {"task_id", task}, {"id", message_id}, {"message_id", message_id},
                 {"answer", tok}, {"created_at", std::time(nullptr)}};
      if (mode == "chat-messages") ev["conversation_id"] = conversation;
      return sse(ev);
    });
  }
  if (!r.stream_error.empty()) {
    s.steps.push_back({{}, sse({{"event", "error"}, {"task_id", task}, {"message_id", message_id}, {"status", 500},
                                {"code", "internal_server_error"}, {"message", r.stream_error}}),
                       false});
  }
  if (!r.omit_end) {
    if (mode == "workflow") {
      s.steps.push_back({{}, sse({{"event", "workflow_finished"}, {"task_id", task},
                                  {"data", {{"id", "run-1"}, {"status", "succeeded"}, {"outputs", {{"answer", full}}}}}}),
                         false});
    } else {
      json end = {{"event", "message_end"}, {"task_id", task}, {"id", message_id}, {"message_id", message_id},
                  {"metadata", {{"usage", {{"prompt_tokens", 10}, {"completion_tokens", r.tokens.size()}}}}}};
      if (mode == "chat-messages") end["conversation_id"] = conversation;
      s.steps.push_back({{}, sse(end), false});
    }
  }
  return s;
}

// ------------------------------------------------------------------ Gemini

Script gemini(Impl& self, const FakeLlmRequest& req, const FakeLlmReply& r) {
  Script s;
  auto error = [&](int status, const std::string& state, const std::string& message) {
    s.status = status;
    s.body = json{{"error", {{"code", status}, {"message", message}, {"status", state}}}}.dump();
    return s;
  };
  std::string key;
  {
    std::lock_guard lk(self.mu);
    key = self.api_key;
  }
  std::string sent = req.headers.contains("x-goog-api-key") ? req.headers.at("x-goog-api-key")
                                                            : (req.query.contains("key") ? req.query.at("key") : "");
  if (!key.empty() && sent != key) return error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.");
  if (!req.query.contains("alt") || req.query.at("alt") != "sse") {
    return error(400, "INVALID_ARGUMENT", "the fake streams only with alt=sse");
  }
  const json& b = req.json;
  if (!b.is_object() || !b.contains("contents") || !b["contents"].is_array() || b["contents"].empty()) {
    return error(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified");
  }
  for (const auto& c : b["contents"]) {
    std::string role = c.value("role", "");
    if (role != "user" && role != "model") return error(400, "INVALID_ARGUMENT", "Please use a valid role: user, model.");
  }
  if (r.http_status != 200) {
    if (!r.error_body.empty()) {
      s.status = r.http_status;
      s.body = r.error_body;
      return s;
    }
    return error(r.http_status, r.http_status == 429 ? "RESOURCE_EXHAUSTED" : "INTERNAL",
                 "fake error " + std::to_string(r.http_status));
  }
  std::string model = req.path.substr(req.path.rfind('/') + 1);
  model = model.substr(0, model.find(':'));
  s.streamed = true;
  s.content_type = "text/event-stream";
  auto chunk = [&](json parts, const std::string& finish) {
    json cand = {{"content", {{"parts", std::move(parts)}, {"role", "model"}}}, {"index", 0}};
    if (!finish.empty()) cand["finishReason"] = finish;
    json j = {{"candidates", json::array({cand})},
              {"usageMetadata", {{"promptTokenCount", 8}, {"candidatesTokenCount", 1}, {"totalTokenCount", 9}}},
              {"modelVersion", model},
              {"responseId", "fake-response"}};
    return "data: " + j.dump() + "\r\n\r\n";
  };
  add_tokens(s, r, [&](const std::string& tok) { return chunk(json::array({json{{"text", tok}}}), ""); });
  if (!r.tool_calls.empty()) {
    json parts = json::array();
    for (const auto& tc : r.tool_calls) {
      json part = {{"functionCall", {{"name", tc.name}, {"args", json::parse(tc.arguments)}}}};
      if (!tc.id.empty()) part["functionCall"]["id"] = tc.id;
      if (!tc.thought_signature.empty()) part["thoughtSignature"] = tc.thought_signature;
      parts.push_back(std::move(part));
    }
    s.steps.push_back({r.token_interval, chunk(std::move(parts), ""), false});
  }
  if (!r.stream_error.empty()) {
    s.steps.push_back(
        {{}, "data: " + json{{"error", {{"code", 500}, {"message", r.stream_error}, {"status", "INTERNAL"}}}}.dump() + "\r\n\r\n",
         false});
  }
  if (!r.omit_end) {
    s.steps.push_back({{}, chunk(json::array({json{{"text", ""}}}), r.finish_reason.empty() ? "STOP" : r.finish_reason), false});
  }
  return s;
}

// ------------------------------------------------------------------ Home Assistant

Script home_assistant(Impl& self, const FakeLlmRequest& req, const FakeLlmReply& r) {
  Script s;
  std::string key;
  {
    std::lock_guard lk(self.mu);
    key = self.api_key;
  }
  auto auth = req.headers.find("authorization");
  if (!key.empty() && (auth == req.headers.end() || auth->second != "Bearer " + key)) {
    s.status = 401;
    s.content_type = "text/plain; charset=utf-8";
    s.body = "401: Unauthorized";
    return s;
  }
  const json& b = req.json;
  if (!b.is_object() || !b.contains("text") || !b["text"].is_string()) {
    s.status = 400;
    s.body = json{{"message", "Message format expected but received text"}}.dump();
    return s;
  }
  if (r.http_status != 200) {
    s.status = r.http_status;
    s.body = !r.error_body.empty() ? r.error_body : json{{"message", "fake error " + std::to_string(r.http_status)}}.dump();
    return s;
  }
  if (!r.error_body.empty()) {  // a malformed answer, on purpose
    s.body = r.error_body;
    return s;
  }
  std::string conversation = b.value("conversation_id", "");
  if (conversation.empty()) {
    std::lock_guard lk(self.mu);
    conversation = r.conversation_id.empty() ? "ha-conv-" + std::to_string(++self.next_conversation) : r.conversation_id;
  }
  std::string speech;
  for (const auto& t : r.tokens) speech += t;
  json answer = {{"response",
                  {{"speech", {{"plain", {{"speech", speech}, {"extra_data", nullptr}}}}},
                   {"card", json::object()},
                   {"language", b.value("language", "en")},
                   {"response_type", "action_done"},
                   {"data", {{"targets", json::array()}, {"success", json::array()}, {"failed", json::array()}}}}},
                 {"conversation_id", conversation},
                 {"continue_conversation", false}};
  s.body = answer.dump();
  s.delay = r.first_token_delay;
  return s;
}

// ------------------------------------------------------------------ FastGPT

// FastGPT's /api/v1/chat/completions (v1): OpenAI-style chunks as `data:` lines (with
// `event: answer` and workflow events when detail is true), then `data: [DONE]`. Its
// failures, auth included, are `event: error` inside an HTTP 200 stream; a proxy or a
// crash gives a non-200 with FastGPT's JSON envelope {code, statusText, message, data}.
Script fastgpt(Impl& self, const FakeLlmRequest& req, const FakeLlmReply& r) {
  Script s;
  auto sse_error = [&](const json& data) {
    s.streamed = true;
    s.content_type = "text/event-stream;charset=utf-8";
    s.steps.push_back({{}, "event: error\ndata: " + data.dump() + "\n\n", false});
    return s;
  };
  std::string key;
  {
    std::lock_guard lk(self.mu);
    key = self.api_key;
  }
  auto auth = req.headers.find("authorization");
  if (!key.empty() && (auth == req.headers.end() || auth->second != "Bearer " + key)) {
    return sse_error({{"code", 514}, {"statusText", "unAuthApiKey"}, {"message", "Api Key不合法"}, {"data", nullptr}});
  }
  const json& b = req.json;
  if (!b.is_object() || !b.contains("messages") || !b["messages"].is_array() || b["messages"].empty()) {
    return sse_error({{"message", "messages is empty"}});
  }
  const std::string chat_id = b.value("chatId", "");
  if (chat_id.size() >= 250) return sse_error({{"message", "chatId is too long"}});
  if (r.http_status != 200) {
    s.status = r.http_status;
    s.body = !r.error_body.empty() ? r.error_body
                                   : json{{"code", r.http_status}, {"statusText", ""},
                                          {"message", "fake error " + std::to_string(r.http_status)}, {"data", nullptr}}
                                         .dump();
    return s;
  }
  const bool detail = b.value("detail", false);
  s.streamed = true;
  s.content_type = "text/event-stream;charset=utf-8";
  auto chunk = [&](const json& content, const json& finish) {
    json j = {{"id", chat_id},
              {"object", ""},
              {"created", 0},
              {"model", ""},
              {"choices", json::array({{{"delta", {{"role", "assistant"}, {"content", content}}},
                                        {"index", 0},
                                        {"finish_reason", finish}}})}};
    return std::string(detail ? "event: answer\n" : "") + "data: " + j.dump() + "\n\n";
  };
  if (detail) {
    s.steps.push_back({{}, "event: flowNodeStatus\ndata: " + json{{"status", "running"}, {"name", "AI 对话"}}.dump() + "\n\n",
                       false});
  }
  add_tokens(s, r, [&](const std::string& tok) { return chunk(tok, nullptr); });
  if (!r.stream_error.empty()) s.steps.push_back({{}, "event: error\ndata: " + json{{"message", r.stream_error}}.dump() + "\n\n", false});
  if (!r.omit_end) {
    s.steps.push_back({{}, chunk(nullptr, "stop"), false});
    if (detail) {
      s.steps.push_back({{}, "event: flowResponses\ndata: " + json::array({{{"moduleName", "AI 对话"}, {"runningTime", 0.4}}}).dump() + "\n\n",
                         false});
    }
    s.steps.push_back({{}, std::string(detail ? "event: answer\n" : "") + "data: [DONE]\n\n", false});
  }
  return s;
}

// ------------------------------------------------------------------ DashScope application

// Alibaba Cloud Bailian's POST /api/v1/apps/{app_id}/completion with X-DashScope-SSE:
// enable: `event:result` events whose output.text is the next piece (incremental_output)
// or the whole text so far, finish_reason "null" until the last ("stop"). Errors are
// `event:error` events with {code, message, request_id}, also as the body of a non-200.
Script dashscope_app(Impl& self, const FakeLlmRequest& req, const FakeLlmReply& r) {
  Script s;
  const std::string request_id = "fake-request-1";
  auto sse_event = [&](int id, const std::string& event, int status, const json& data) {
    return "id:" + std::to_string(id) + "\nevent:" + event + "\n:HTTP_STATUS/" + std::to_string(status) + "\ndata:" +
           data.dump() + "\n\n";
  };
  auto error = [&](int status, const std::string& code, const std::string& message) {
    s.status = status;
    s.content_type = "text/event-stream;charset=UTF-8";
    s.body = sse_event(1, "error", status, {{"code", code}, {"message", message}, {"request_id", request_id}});
    return s;
  };
  std::string key;
  {
    std::lock_guard lk(self.mu);
    key = self.api_key;
  }
  auto auth = req.headers.find("authorization");
  if (!key.empty() && (auth == req.headers.end() || auth->second != "Bearer " + key)) {
    return error(401, "InvalidApiKey", "Invalid API-key provided.");
  }
  auto sse = req.headers.find("x-dashscope-sse");
  if (sse == req.headers.end() || sse->second != "enable") {
    return error(400, "InvalidParameter", "the fake streams only with X-DashScope-SSE: enable");
  }
  const json& b = req.json;
  const json* in = b.is_object() && b.contains("input") && b["input"].is_object() ? &b["input"] : nullptr;
  const bool has_prompt = in && in->contains("prompt") && (*in)["prompt"].is_string();
  const bool has_messages = in && in->contains("messages") && (*in)["messages"].is_array() && !(*in)["messages"].empty();
  if (!has_prompt && !has_messages) return error(400, "InvalidParameter", "Prompt or messages must not be empty");
  if (r.http_status != 200) {
    if (!r.error_body.empty()) {
      s.status = r.http_status;
      s.body = r.error_body;
      return s;
    }
    return error(r.http_status, r.http_status == 429 ? "Throttling.RateQuota" : "InternalError",
                 "fake error " + std::to_string(r.http_status));
  }
  bool incremental = false;
  if (b.contains("parameters") && b["parameters"].is_object()) incremental = b["parameters"].value("incremental_output", false);
  const std::string session = in->value("session_id", "fake-session-1");
  s.streamed = true;
  s.content_type = "text/event-stream;charset=UTF-8";
  int id = 0;
  std::string so_far;
  auto result = [&](const std::string& text, const std::string& finish) {
    json data = {{"output", {{"session_id", session}, {"finish_reason", finish}, {"text", text}}},
                 {"usage", {{"models", json::array({{{"input_tokens", 12}, {"output_tokens", 3}, {"model_id", "qwen-plus"}}})}}},
                 {"request_id", request_id}};
    return sse_event(++id, "result", 200, data);
  };
  add_tokens(s, r, [&](const std::string& tok) {
    so_far += tok;
    return result(incremental ? tok : so_far, "null");
  });
  if (!r.stream_error.empty()) {
    s.steps.push_back({{}, sse_event(++id, "error", 500, {{"code", "InternalError"}, {"message", r.stream_error},
                                                            {"request_id", request_id}}),
                       false});
  }
  if (!r.omit_end) s.steps.push_back({{}, result(incremental ? "" : so_far, "stop"), false});
  return s;
}

// ------------------------------------------------------------------ Coze

// Coze's POST /v3/chat (stream): `event:conversation.chat.created` (with the
// conversation id), `conversation.message.delta` pieces, `conversation.message.completed`,
// `conversation.chat.completed`, then `event:done`. A failing model is
// `conversation.chat.failed` with last_error; a refused request is a JSON body
// {code, msg, detail} instead of the stream (HTTP 401 for a bad token).
Script coze(Impl& self, const FakeLlmRequest& req, const FakeLlmReply& r) {
  Script s;
  auto refuse = [&](int status, int code, const std::string& msg) {
    s.status = status;
    s.body = json{{"code", code}, {"msg", msg}, {"detail", {{"logid", "fake-logid"}}}}.dump();
    return s;
  };
  std::string key;
  {
    std::lock_guard lk(self.mu);
    key = self.api_key;
  }
  auto auth = req.headers.find("authorization");
  if (!key.empty() && (auth == req.headers.end() || auth->second != "Bearer " + key)) {
    return refuse(401, 4100, "authentication is invalid");
  }
  const json& b = req.json;
  if (!b.is_object() || !b.contains("bot_id") || !b["bot_id"].is_string() || !b.contains("user_id") ||
      !b["user_id"].is_string() || !b.value("stream", false)) {
    return refuse(200, 4000, "Request parameter error: bot_id, user_id and stream are required");
  }
  if (!b.contains("additional_messages") || !b["additional_messages"].is_array() || b["additional_messages"].size() > 100) {
    return refuse(200, 4000, "Request parameter error: additional_messages");
  }
  std::string conversation = req.query.contains("conversation_id") ? req.query.at("conversation_id") : "";
  {
    std::lock_guard lk(self.mu);
    if (!conversation.empty() && !self.conversations.contains(conversation)) {
      return refuse(200, 4200, "Conversation not found");
    }
    if (conversation.empty()) {
      conversation = r.conversation_id.empty() ? std::to_string(7400000000000000000ll + ++self.next_conversation)
                                               : r.conversation_id;
      self.conversations.insert(conversation);
    }
  }
  if (r.http_status != 200) return refuse(r.http_status, 5000, "fake error " + std::to_string(r.http_status));
  if (!r.error_body.empty()) {  // a refusal in an HTTP 200, as Coze sends many
    s.body = r.error_body;
    return s;
  }
  s.streamed = true;
  s.content_type = "text/event-stream";
  const std::string chat_id = "7400000000000000001";
  const std::string bot = b["bot_id"];
  auto event = [](const std::string& name, const json& data) { return "event:" + name + "\ndata:" + data.dump() + "\n\n"; };
  auto chat = [&](const std::string& status) {
    json c = {{"id", chat_id}, {"conversation_id", conversation}, {"bot_id", bot}, {"status", status}};
    return c;
  };
  auto message = [&](const std::string& type, const std::string& content) {
    return json{{"id", "7400000000000000002"}, {"conversation_id", conversation}, {"bot_id", bot}, {"chat_id", chat_id},
                {"role", "assistant"}, {"type", type}, {"content", content}, {"content_type", "text"}};
  };
  s.steps.push_back({{}, event("conversation.chat.created", chat("created")), false});
  s.steps.push_back({{}, event("conversation.chat.in_progress", chat("in_progress")), false});
  std::string full;
  add_tokens(s, r, [&](const std::string& tok) {
    full += tok;
    return event("conversation.message.delta", message("answer", tok));
  });
  if (!r.stream_error.empty()) {
    json failed = chat("failed");
    failed["last_error"] = {{"code", 5000}, {"msg", r.stream_error}};
    s.steps.push_back({{}, event("conversation.chat.failed", failed), false});
    s.steps.push_back({{}, "event:done\ndata:\"[DONE]\"\n\n", false});
    return s;
  }
  if (!r.omit_end) {
    s.steps.push_back({{}, event("conversation.message.completed", message("answer", full)), false});
    s.steps.push_back({{}, event("conversation.message.completed", message("verbose", R"({"msg_type":"generate_answer_finish","data":""})")),
                       false});
    json done = chat("completed");
    done["usage"] = {{"token_count", 30}, {"output_count", 10}, {"input_count", 20}};
    s.steps.push_back({{}, event("conversation.chat.completed", done), false});
    s.steps.push_back({{}, "event:done\ndata:\"[DONE]\"\n\n", false});
  }
  return s;
}

// ------------------------------------------------------------------ HTTP plumbing

Task<void> sleep(std::chrono::milliseconds d) {
  if (d.count() <= 0) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

Task<void> wait_for_close(beast::tcp_stream& stream) {
  co_await wait_for_peer_close(stream.socket());
}

// Arguments by reference: temporaries made inside a co_await expression are miscompiled
// by g++ 12, so callers pass named strings that outlive the call.
Task<bool> write_simple(beast::tcp_stream& stream, int status, const std::string& content_type, const std::string& body) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "fake-llm-apis");
  res.set(http::field::content_type, content_type);
  res.keep_alive(true);
  res.body() = body;
  res.prepare_payload();
  auto [ec, n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

Task<bool> write_chunk(beast::tcp_stream& stream, std::string_view data) {
  auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(data.data(), data.size())),
                                            asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

// The streamed body. True when complete; `dropped` when the script cut it.
Task<bool> send_steps(Impl* self, beast::tcp_stream& stream, const Script& s, bool& dropped) {
  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::server, "fake-llm-apis");
  res.set(http::field::content_type, s.content_type);
  res.set(http::field::cache_control, "no-cache");
  res.chunked(true);
  http::response_serializer<http::empty_body> sr{res};
  auto [hec, hn] = co_await http::async_write_header(stream, sr, asio::as_tuple(asio::use_awaitable));
  if (hec) co_return false;
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    if (s.drop_before && *s.drop_before == i) {
      dropped = true;
      co_return true;
    }
    co_await sleep(s.steps[i].delay);
    if (!co_await write_chunk(stream, s.steps[i].bytes)) co_return false;
    if (s.steps[i].token) {
      std::lock_guard lk(self->mu);
      self->token_times.push_back(Clock::now());
    }
  }
  if (s.drop_before && *s.drop_before >= s.steps.size()) {
    dropped = true;
    co_return true;
  }
  auto [ec, n] = co_await asio::async_write(stream, http::make_chunk_last(), asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

Task<bool> send_delayed(beast::tcp_stream& stream, const Script& s) {
  co_await sleep(s.delay);
  co_return co_await write_simple(stream, s.status, s.content_type, s.body);
}

// Runs `send` until it ends or the client goes away; true when the answer was complete.
Task<bool> send_watching(Impl* self, beast::tcp_stream& stream, Task<bool> send) {
  using namespace asio::experimental::awaitable_operators;
  auto r = co_await (std::move(send) || wait_for_close(stream));
  if (r.index() == 1 || !std::get<0>(r)) {
    self->note_disconnect();
    co_return false;
  }
  co_return true;
}

FakeLlmRequest record(const Request& req, int connection) {
  FakeLlmRequest rec;
  rec.method = std::string(req.method_string());
  rec.target = std::string(req.target());
  auto q = rec.target.find('?');
  rec.path = rec.target.substr(0, q);
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(rec.target).substr(q + 1);
    while (!rest.empty()) {
      auto amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      auto eq = pair.find('=');
      rec.query[std::string(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  for (const auto& f : req) rec.headers[lower(std::string(f.name_string()))] = std::string(f.value());
  rec.body = req.body();
  rec.json = json::parse(rec.body, nullptr, false);
  if (rec.json.is_discarded()) rec.json = nullptr;
  rec.connection = connection;
  return rec;
}

FakeLlmReply next_reply(Impl* self, const FakeLlmRequest& rec) {
  std::unique_lock lk(self->mu);
  if (!self->replies.empty()) {
    FakeLlmReply r = std::move(self->replies.front());
    self->replies.pop_front();
    return r;
  }
  auto fn = self->default_reply;
  lk.unlock();
  return fn ? fn(rec) : echo_reply(rec);
}

// True when the connection may be kept.
Task<bool> respond(Impl* self, beast::tcp_stream& stream, const Request& req, int connection) {
  FakeLlmRequest rec = record(req, connection);
  {
    std::lock_guard lk(self->mu);
    self->requests.push_back(rec);
  }
  self->cv.notify_all();
  const std::string& path = rec.path;
  enum class Api { ollama, dify, gemini, home_assistant, fastgpt, dashscope_app, coze, none } api = Api::none;
  if (rec.method == "POST") {
    if (path.ends_with("/api/chat")) api = Api::ollama;
    else if (path.ends_with("/chat/completions")) api = Api::fastgpt;
    else if (path.find("/apps/") != std::string::npos && path.ends_with("/completion")) api = Api::dashscope_app;
    else if (path.ends_with("/v3/chat")) api = Api::coze;
    else if (path.ends_with("/chat-messages") || path.ends_with("/completion-messages") || path.ends_with("/workflows/run")) api = Api::dify;
    else if (path.find("/models/") != std::string::npos && path.ends_with(":streamGenerateContent")) api = Api::gemini;
    else if (path.ends_with("/api/conversation/process")) api = Api::home_assistant;
  }
  if (api == Api::none) {
    std::string body = json{{"error", "no route " + rec.method + " " + path}}.dump();
    std::string type = "application/json";
    co_return co_await write_simple(stream, 404, type, body);
  }
  FakeLlmReply reply = next_reply(self, rec);
  if (reply.hang) {
    co_await wait_for_close(stream);
    self->note_disconnect();
    co_return false;
  }
  Script script = api == Api::ollama          ? ollama(rec, reply)
                  : api == Api::dify          ? dify(*self, rec, reply)
                  : api == Api::gemini        ? gemini(*self, rec, reply)
                  : api == Api::fastgpt       ? fastgpt(*self, rec, reply)
                  : api == Api::dashscope_app ? dashscope_app(*self, rec, reply)
                  : api == Api::coze          ? coze(*self, rec, reply)
                                              : home_assistant(*self, rec, reply);
  if (!script.streamed) {
    Task<bool> send = send_delayed(stream, script);
    co_return co_await send_watching(self, stream, std::move(send));
  }
  {
    std::lock_guard lk(self->mu);
    self->token_times.clear();
  }
  bool dropped = false;
  Task<bool> send = send_steps(self, stream, script, dropped);
  bool complete = co_await send_watching(self, stream, std::move(send));
  if (complete && dropped) {
    error_code ignored;
    stream.socket().close(ignored);
    co_return false;
  }
  co_return complete;
}

Task<void> serve_connection(Impl* self, tcp::socket socket, int connection) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buf;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    auto [ec, n] = co_await http::async_read(stream, buf, parser, asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    Request req = parser.release();
    bool keep = co_await respond(self, stream, req, connection);
    if (!keep || !req.keep_alive()) break;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

Task<void> accept_loop(Impl* self) {
  for (;;) {
    auto [ec, socket] = co_await self->acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    int connection = static_cast<int>(self->accepted.fetch_add(1) + 1);
    asio::co_spawn(*self->io, serve_connection(self, std::move(socket), connection), asio::detached);
  }
}

}  // namespace

FakeLlmApis::FakeLlmApis() : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.io = std::make_unique<asio::io_context>(1);
  s.acceptor = std::make_unique<tcp::acceptor>(*s.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  s.port = s.acceptor->local_endpoint().port();
  asio::co_spawn(*s.io, accept_loop(&s), asio::detached);
  s.thread = std::thread([io = s.io.get()] { io->run(); });
}

FakeLlmApis::~FakeLlmApis() {
  auto& s = *impl_;
  s.io->stop();
  s.thread.join();
  s.acceptor.reset();
  s.io.reset();  // destroys the suspended connection coroutines while the state still exists
}

std::string FakeLlmApis::url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }
std::uint16_t FakeLlmApis::port() const { return impl_->port; }

void FakeLlmApis::push_reply(FakeLlmReply reply) {
  std::lock_guard lk(impl_->mu);
  impl_->replies.push_back(std::move(reply));
}
void FakeLlmApis::set_default_reply(std::function<FakeLlmReply(const FakeLlmRequest&)> fn) {
  std::lock_guard lk(impl_->mu);
  impl_->default_reply = std::move(fn);
}
void FakeLlmApis::set_api_key(std::string key) {
  std::lock_guard lk(impl_->mu);
  impl_->api_key = std::move(key);
}
void FakeLlmApis::forget_conversations() {
  std::lock_guard lk(impl_->mu);
  impl_->conversations.clear();
}

std::vector<FakeLlmRequest> FakeLlmApis::requests() const {
  std::lock_guard lk(impl_->mu);
  return impl_->requests;
}
std::size_t FakeLlmApis::request_count() const {
  std::lock_guard lk(impl_->mu);
  return impl_->requests.size();
}
FakeLlmRequest FakeLlmApis::last_request() const {
  std::lock_guard lk(impl_->mu);
  if (impl_->requests.empty()) throw std::logic_error("the fake LLM server has received no request");
  return impl_->requests.back();
}
bool FakeLlmApis::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->requests.size() >= n; });
}
std::size_t FakeLlmApis::connections_accepted() const { return impl_->accepted.load(); }
std::size_t FakeLlmApis::client_disconnects() const {
  std::lock_guard lk(impl_->mu);
  return impl_->disconnects;
}
bool FakeLlmApis::wait_for_client_disconnects(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->disconnects >= n; });
}
std::vector<std::chrono::steady_clock::time_point> FakeLlmApis::token_send_times() const {
  std::lock_guard lk(impl_->mu);
  return impl_->token_times;
}

}  // namespace xz::test
