#pragma once
// How an McpSession reaches its server: stdio (a child process), Streamable HTTP,
// legacy HTTP+SSE, or a WebSocket. A transport moves whole JSON-RPC messages and knows
// nothing of ids or methods. It is used on one executor only (its session's), and its
// handlers are called there.
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

namespace xz::tools::mcp {

// Anything that went wrong talking to an MCP server; the message names the server.
struct McpError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct McpTransportHandlers {
  // One message from the server (an object, or a JSON-RPC batch array).
  std::function<void(nlohmann::json)> on_message;
  // The connection ended by itself (child exited, stream ended, socket dropped).
  // Called at most once, and never after close().
  std::function<void(std::string reason)> on_closed;
};

// Hands one message to handlers.on_message (when set). An exception while handling it
// (a server may send anything: a number where a string belongs, ...) costs that message
// only: it is logged under `server`, and the reader that called this goes on.
void deliver_message(const McpTransportHandlers& handlers, nlohmann::json message, std::string_view server);

class McpTransport {
 public:
  virtual ~McpTransport() = default;

  // Connects (spawns the child, opens the stream). Throws McpError.
  virtual boost::asio::awaitable<void> open(McpTransportHandlers handlers) = 0;
  // Sends one message. Over Streamable HTTP it completes once the POST's answer has been
  // handed to on_message. Throws McpError when the message cannot be sent.
  virtual boost::asio::awaitable<void> send(nlohmann::json message) = 0;
  // The session finished `initialize` with this protocol version (HTTP sends it as a
  // header from now on and opens its optional notification stream).
  virtual void initialized(const std::string& protocol_version) { (void)protocol_version; }
  // Ends the connection: a child is asked to exit, then terminated and reaped; streams
  // are closed. Idempotent; never throws.
  virtual boost::asio::awaitable<void> close() = 0;
  // For logs: "stdio: npx -y server", "http://host/mcp".
  virtual std::string describe() const = 0;
};

}  // namespace xz::tools::mcp
