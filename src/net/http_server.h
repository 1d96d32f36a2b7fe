#pragma once
// An HTTP/1.1 listener (Boost.Beast, one coroutine per connection). Accepted
// connections are spread round-robin over the runtime's event loops. A request that
// asks for a WebSocket upgrade is handed to the WebSocket handler when one is set.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/runtime.h"
#include "net/http_types.h"
#include "net/websocket.h"

namespace xz::net {

struct HttpServerOptions {
  std::string name = "http";  // for logs
  std::string address = "0.0.0.0";
  std::uint16_t port = 0;     // 0 = ephemeral (tests)
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds idle_timeout{30000};
  // Largest file a response may stream from disk (firmware images).
  std::size_t max_file_bytes = 64 * 1024 * 1024;
  std::size_t max_ws_message_bytes = 65536;
};

class HttpServer {
 public:
  HttpServer(core::Runtime& rt, HttpServerOptions opts, std::shared_ptr<const HttpRouter> router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Called for upgrade requests (on the connection's loop). Without it, upgrades get 400.
  void set_websocket_handler(WebSocketHandler handler) { ws_handler_ = std::move(handler); }

  // Binds and starts accepting. Throws std::runtime_error naming the address on failure.
  void start();
  std::uint16_t port() const { return bound_port_; }
  // Stops accepting, closes idle keep-alive connections; requests in flight finish.
  void stop_accepting();
  // HTTP connections (not upgraded WebSockets) still open.
  std::size_t open_connections() const;

  struct Impl;  // public so the connection coroutines in the .cpp can name it

 private:
  std::shared_ptr<Impl> impl_;
  std::uint16_t bound_port_ = 0;
  WebSocketHandler ws_handler_;
};

}  // namespace xz::net
