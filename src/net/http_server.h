#pragma once
// An HTTP/1.1 listener (Boost.Beast, one coroutine per connection). Accepted
// connections are spread round-robin over the runtime's event loops. A request that
// asks for a WebSocket upgrade is handed to the WebSocket handler when one is set.
//
// Hostile clients cost only their own connection: connections over the shared caps are
// closed at once; the header is read first, within header_timeout, then the body only
// up to its route's limit (a larger Content-Length gets 413 unread; a chunked body is cut
// at the limit) and within body_timeout; files are streamed from disk in small pieces.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/ip_ranges.h"
#include "core/runtime.h"
#include "net/connection_limiter.h"
#include "net/http_types.h"
#include "net/websocket.h"

namespace xz::net {

struct HttpServerOptions {
  std::string name = "http";  // for logs
  std::string address = "0.0.0.0";
  std::uint16_t port = 0;     // 0 = ephemeral (tests)
  // Body limit of routes that set none (RouteLimits::max_body_bytes).
  std::size_t max_body_bytes = 1024 * 1024;
  // From the connection, or the end of the previous answer, to a complete request header.
  std::chrono::milliseconds header_timeout{30000};
  // From the end of the header to the end of the body.
  std::chrono::milliseconds body_timeout{30000};
  std::size_t max_ws_message_bytes = 65536;
  // Connection caps, shared with the other listener; null = no caps.
  std::shared_ptr<ConnectionLimiter> limiter;
  // Peers whose X-Real-IP / X-Forwarded-For are believed (HttpRequest::remote_ip).
  core::IpRanges trusted_proxies;
};

// Sees an upgrade request before it is answered; a response refuses the upgrade with it.
using UpgradeCheck = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

class HttpServer {
 public:
  HttpServer(core::Runtime& rt, HttpServerOptions opts, std::shared_ptr<const HttpRouter> router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Called for upgrade requests (on the connection's loop). Without it, upgrades get 400.
  void set_websocket_handler(WebSocketHandler handler) { ws_handler_ = std::move(handler); }
  void set_upgrade_check(UpgradeCheck check) { upgrade_check_ = std::move(check); }

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
  UpgradeCheck upgrade_check_;
};

}  // namespace xz::net
