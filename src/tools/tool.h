#pragma once
// A function the LLM can call. Tools come from several sources (built-in functions,
// the device's MCP server, legacy IoT, server-side MCP servers, an MCP endpoint); the
// session's ToolRegistry merges them. A tool's result says what happens next, as in
// the reference server (Action).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "providers/llm/llm.h"
#include "providers/tts/tts.h"

namespace xz::tools {

enum class Action {
  error,      // failed: `response` is spoken as a friendly message
  not_found,  // no such tool / target: `response` is spoken
  none,       // nothing more to do
  response,   // `response` is spoken directly, no further LLM call
  reqllm,     // `result` goes back to the LLM as the tool message; it answers
  record,     // the call and `result` go into the history; nothing else is said
};

// The reference's names ("REQLLM", ...), for logs and the chat history.
inline std::string_view action_name(Action a) {
  switch (a) {
    case Action::error: return "ERROR";
    case Action::not_found: return "NOTFOUND";
    case Action::none: return "NONE";
    case Action::response: return "RESPONSE";
    case Action::reqllm: return "REQLLM";
    case Action::record: return "RECORD";
  }
  return "NONE";
}

struct ToolResult {
  Action action = Action::reqllm;
  std::string result;    // for the LLM / history
  std::string response;  // for the user (spoken)

  static ToolResult llm(std::string result) { return {Action::reqllm, std::move(result), {}}; }
  static ToolResult speak(std::string response) { return {Action::response, {}, std::move(response)}; }
  static ToolResult failed(std::string response) { return {Action::error, {}, std::move(response)}; }
};

// What a tool may do to the session that called it. Implemented by the conversation;
// every method is called on the session's executor.
class SessionActions {
 public:
  virtual ~SessionActions() = default;
  virtual const std::string& device_id() const = 0;
  virtual const std::string& session_id() const = 0;
  virtual boost::asio::any_io_executor executor() const = 0;
  // End the connection after the current reply (exit intent).
  virtual void close_after_reply() = 0;
  // Replace the persona for the rest of the session (change_role).
  virtual void set_persona(std::string prompt) = 0;
  // Plays 16-bit mono PCM chunks (music) through the pacer after the current speech,
  // with `title` as the subtitle; interruptible like any reply. The source is pulled
  // until it returns an empty chunk.
  virtual boost::asio::awaitable<void> play_audio(std::string title,
                                                  std::function<boost::asio::awaitable<providers::PcmChunk>()> next) = 0;
  // The device's IP address as this server saw it, "" when unknown (get_location,
  // get_place_info and get_weather locate a device by it when the user names no place).
  virtual std::string client_ip() const { return {}; }
  // The city of that address as the prompt's local address has it (the reference's IP
  // lookup), "" when unknown. The default knows none.
  virtual boost::asio::awaitable<std::string> client_city() { co_return std::string(); }
  // Runs one of the device's own MCP tools (by its MCP name) on this session's device.
  // Device tools go through the session so that one tool object serves every device
  // listing the same tools.
  virtual boost::asio::awaitable<ToolResult> run_device_tool(std::string name, nlohmann::json arguments) = 0;
};

class Tool {
 public:
  virtual ~Tool() = default;
  // The OpenAI function schema (name, description, JSON-Schema parameters).
  virtual const providers::ToolSchema& schema() const = 0;
  // Runs the call. Throwing std::exception is reported as an error result.
  virtual boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) = 0;
};

using ToolPtr = std::shared_ptr<Tool>;
// An immutable list, shared by every session offering it (the built-ins, the server's
// MCP tools, one device model's tools): a session holds lists, not copies of them.
using ToolList = std::shared_ptr<const std::vector<ToolPtr>>;

inline ToolList share_tools(std::vector<ToolPtr> tools) {
  return std::make_shared<const std::vector<ToolPtr>>(std::move(tools));
}

}  // namespace xz::tools
