#pragma once
// MCP JSON-RPC over a WebSocket, one message per text frame: the MCP endpoint
// (接入点) a device's agent may be bound to.
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "core/async.h"
#include "net/websocket.h"
#include "tools/mcp/mcp_transport.h"

namespace xz::tools::mcp {

struct WebSocketTransportOptions {
  std::string name;  // for logs and errors
  std::string url;   // ws://...
  std::map<std::string, std::string> headers;
  std::size_t max_message_bytes = 4 * 1024 * 1024;  // larger messages are skipped
  std::shared_ptr<boost::asio::ssl::context> tls_context;  // wss://; see net::WsClientOptions
};

class WebSocketTransport final : public McpTransport, public std::enable_shared_from_this<WebSocketTransport> {
 public:
  WebSocketTransport(boost::asio::any_io_executor ex, WebSocketTransportOptions opts);

  boost::asio::awaitable<void> open(McpTransportHandlers handlers) override;
  boost::asio::awaitable<void> send(nlohmann::json message) override;
  boost::asio::awaitable<void> close() override;
  std::string describe() const override;

 private:
  static core::Task<void> read_loop(std::shared_ptr<WebSocketTransport> self);

  boost::asio::any_io_executor ex_;
  WebSocketTransportOptions opts_;
  McpTransportHandlers handlers_;
  std::shared_ptr<net::WebSocket> ws_;
  bool closed_ = false;
};

// The URL without its query (which carries the endpoint's token), for logs.
std::string url_without_query(const std::string& url);

}  // namespace xz::tools::mcp
