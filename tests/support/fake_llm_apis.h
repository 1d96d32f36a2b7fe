#pragma once
// Local, protocol-faithful fakes of four LLM wire protocols, served by one HTTP server on
// 127.0.0.1 (ephemeral port, own thread), routed by path as the real services are:
//
//   POST {url}/api/chat                               Ollama, NDJSON stream
//   POST {url}/v1/chat-messages | completion-messages | workflows/run
//                                                     Dify, SSE ("data: {event...}")
//   POST {url}/v1beta/models/{model}:streamGenerateContent?alt=sse
//                                                     Gemini, SSE of GenerateContentResponse
//   POST {url}/api/conversation/process               Home Assistant, one JSON answer
//   POST {url}/api/v1/chat/completions                FastGPT, SSE (OpenAI chunks, event: error)
//   POST {url}/api/v1/apps/{app_id}/completion        DashScope application (Bailian), SSE
//   POST {url}/v3/chat[?conversation_id=]             Coze, SSE of conversation.* events
//
// Replies are scripted (push_reply) or, by default, echo the user's last text word by
// word. Every request is recorded; client disconnects and the send time of each token
// are observable, so tests can prove streaming and cancellation.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::test {

struct FakeLlmToolCall {
  std::string name{};
  std::string arguments{};  // JSON object text
  std::string id{};         // Ollama/Gemini send it only when set
  std::string thought_signature{};  // Gemini 3
};

struct FakeLlmReply {
  std::vector<std::string> tokens{};  // answer pieces, in order
  std::vector<FakeLlmToolCall> tool_calls{};  // Ollama and Gemini only
  int http_status = 200;
  std::string error_body{};      // body of a non-200 answer; "" = the API's own error JSON
                                 // (Home Assistant: with status 200, sent as the answer)
  bool hang = false;             // read the request, then send nothing until the client leaves
  bool drop_mid_stream = false;  // close the socket after half of the tokens
  bool omit_end = false;         // end the body cleanly but without the final event
  std::string stream_error{};    // after the tokens, the API's in-stream error event with this message
  std::string finish_reason{};   // Gemini's finishReason ("" = STOP)
  std::string conversation_id{}; // Dify / Home Assistant / Coze: "" = the fake's own
  std::chrono::milliseconds first_token_delay{0};
  std::chrono::milliseconds token_interval{0};
};

struct FakeLlmRequest {
  std::string method;
  std::string target;  // as sent
  std::string path;    // without the query
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json json;  // the body when it is JSON, else null
  int connection = 0;   // 1-based number of the TCP connection it came on
};

class FakeLlmApis {
 public:
  FakeLlmApis();
  ~FakeLlmApis();
  FakeLlmApis(const FakeLlmApis&) = delete;
  FakeLlmApis& operator=(const FakeLlmApis&) = delete;

  std::string url() const;  // "http://127.0.0.1:PORT", no path
  std::uint16_t port() const;

  void push_reply(FakeLlmReply reply);
  void set_default_reply(std::function<FakeLlmReply(const FakeLlmRequest&)> fn);  // nullptr = echo
  // The key Dify, Home Assistant, FastGPT, DashScope, Coze (Bearer) and Gemini
  // (x-goog-api-key or ?key=) must send;
  // "" accepts anything. Ollama takes no key.
  void set_api_key(std::string key);
  // Dify and Coze forget their conversations (a later request naming one is refused).
  void forget_conversations();

  std::vector<FakeLlmRequest> requests() const;
  std::size_t request_count() const;
  FakeLlmRequest last_request() const;  // throws std::logic_error when there is none
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
  std::size_t connections_accepted() const;
  // Responses the client abandoned (closed the connection) before they ended.
  std::size_t client_disconnects() const;
  bool wait_for_client_disconnects(std::size_t n, std::chrono::milliseconds timeout) const;
  // When each answer token of the latest streamed reply was written to the socket.
  std::vector<std::chrono::steady_clock::time_point> token_send_times() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace xz::test
