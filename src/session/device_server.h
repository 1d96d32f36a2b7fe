#pragma once
// The device-facing WebSocket listener (server.port): checks the page origin of browser
// upgrades, identity, auth and activation, then runs one Session per connection on the
// loop that accepted it. A plain GET on the port answers 200 with a short text (health
// checks, curious users).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/ip_ranges.h"
#include "core/runtime.h"
#include "net/connection_limiter.h"
#include "net/http_server.h"
#include "session/activation_gate.h"
#include "session/auth.h"
#include "session/session.h"

namespace xz::session {

struct DeviceServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8000;
  std::size_t max_message_bytes = 65536;
  std::chrono::milliseconds handshake_timeout{10000};
  // Web pages that may open a WebSocket (net/origin_policy.h): server.allowed_origins,
  // plus pages we serve ourselves on http_port (0 = we serve none).
  std::vector<std::string> allowed_origins;
  std::uint16_t http_port = 0;
  core::IpRanges trusted_proxies;
  std::shared_ptr<net::ConnectionLimiter> limiter;  // shared with the HTTP port; null = no caps
};

class DeviceServer {
 public:
  // With `gate` enabled, a device that is not activated gets the conversation that
  // `tell_activation` makes (its code, spoken and shown) instead of a normal one.
  // Throws std::invalid_argument for a malformed allowed origin.
  DeviceServer(core::Runtime& rt, DeviceServerOptions opts, SessionDeps deps, AuthPolicy auth,
               std::shared_ptr<const ActivationGate> gate = nullptr, ActivationConversationFactory tell_activation = {});
  void start();
  std::uint16_t port() const { return http_->port(); }
  void stop_accepting() { http_->stop_accepting(); }

 private:
  void accept(std::shared_ptr<net::WebSocket> ws, net::HttpRequest req);

  SessionDeps deps_;
  AuthPolicy auth_;
  std::shared_ptr<const ActivationGate> gate_;
  ActivationConversationFactory tell_activation_;
  std::unique_ptr<net::HttpServer> http_;
};

}  // namespace xz::session
