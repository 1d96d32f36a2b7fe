#pragma once
// Chat language models: a request of messages (+ tools) streams back text and tool-call
// deltas. Cancelling the awaiting coroutine (barge-in) stops the stream mid-way.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

namespace xz::providers {

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text
};

struct ChatMessage {
  std::string role;  // system, user, assistant, tool
  std::string content;
  std::vector<ToolCall> tool_calls;  // assistant messages that call tools
  std::string tool_call_id;          // tool messages
};

struct ToolSchema {
  std::string name;
  std::string description;
  nlohmann::json parameters = nlohmann::json::object();  // JSON Schema of the arguments
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  std::vector<ToolSchema> tools;  // empty = no function calling
  // Per-request overrides; unset = the engine's configured values.
  std::optional<double> temperature;
  std::optional<int> max_tokens;
};

// One streamed piece. Tool-call deltas are merged by `index` by the caller.
struct ToolCallDelta {
  int index = 0;
  std::string id;
  std::string name;
  std::string arguments;  // fragment to append
};
struct ChatDelta {
  std::string text;
  std::vector<ToolCallDelta> tool_calls;
};

// Called on the caller's executor for each delta, in order.
using ChatSink = std::function<void(const ChatDelta&)>;

class LlmEngine {
 public:
  virtual ~LlmEngine() = default;
  // Streams the answer into sink. Throws std::runtime_error (with a readable reason)
  // on HTTP errors, timeouts and malformed streams.
  virtual boost::asio::awaitable<void> chat(ChatRequest req, ChatSink sink) = 0;
  // Whether the engine passes `tools` natively (else the caller uses the text protocol).
  virtual bool supports_tools() const { return true; }
};

}  // namespace xz::providers
