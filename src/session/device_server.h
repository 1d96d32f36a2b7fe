#pragma once
// The device-facing WebSocket listener (server.port): checks identity and auth on the
// upgrade, then runs one Session per connection on the loop that accepted it. A plain
// GET on the port answers 200 with a short text (health checks, curious users).
#include <cstdint>
#include <memory>
#include <string>

#include "core/runtime.h"
#include "net/http_server.h"
#include "session/auth.h"
#include "session/session.h"

namespace xz::session {

struct DeviceServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8000;
  std::size_t max_message_bytes = 65536;
  std::chrono::milliseconds handshake_timeout{10000};
};

class DeviceServer {
 public:
  DeviceServer(core::Runtime& rt, DeviceServerOptions opts, SessionDeps deps, AuthPolicy auth);
  void start();
  std::uint16_t port() const { return http_->port(); }
  void stop_accepting() { http_->stop_accepting(); }

 private:
  void accept(std::shared_ptr<net::WebSocket> ws, net::HttpRequest req);

  SessionDeps deps_;
  AuthPolicy auth_;
  std::unique_ptr<net::HttpServer> http_;
};

}  // namespace xz::session
