#include "session/device_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

#include "net/websocket.h"
#include "protocol/server_messages.h"

namespace xz::session {

namespace asio = boost::asio;

DeviceServer::DeviceServer(core::Runtime& rt, DeviceServerOptions opts, SessionDeps deps, AuthPolicy auth)
    : deps_(std::move(deps)), auth_(std::move(auth)) {
  auto router = std::make_shared<net::HttpRouter>();
  router->set_fallback([](net::HttpRequest&) -> asio::awaitable<net::HttpResponse> {
    co_return net::HttpResponse::text(200, "Server is running\n");
  });
  net::HttpServerOptions h;
  h.name = "websocket";
  h.address = opts.address;
  h.port = opts.port;
  h.max_body_bytes = 64 * 1024;
  h.max_ws_message_bytes = opts.max_message_bytes;
  h.header_timeout = opts.handshake_timeout;
  http_ = std::make_unique<net::HttpServer>(rt, h, router);
  http_->set_websocket_handler(
      [this](std::shared_ptr<net::WebSocket> ws, net::HttpRequest req) { accept(std::move(ws), std::move(req)); });
}

void DeviceServer::start() { http_->start(); }

void DeviceServer::accept(std::shared_ptr<net::WebSocket> ws, net::HttpRequest req) {
  DeviceIdentity who = identity_from_request(req);
  auto refuse = [&](const std::string& reason) {
    spdlog::warn("[dev={} ip={}] connection refused: {}", who.device_id.empty() ? "-" : who.device_id,
                 who.remote_ip, reason);
    // An alert is what the firmware shows on screen; the close frame carries the reason too.
    ws->send_text(protocol::make_alert("", "error", "Connection refused: " + reason, "sad"));
    ws->close(reason);
  };
  if (!is_valid_device_id(who.device_id)) {
    refuse(who.device_id.empty() ? "missing Device-Id (header or device-id query parameter)"
                                 : "invalid Device-Id");
    return;
  }
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  if (auto d = authorize(auth_, who, now); !d.allowed) {
    refuse("authentication failed: " + d.reason);
    return;
  }
  auto session = std::make_shared<Session>(deps_, ws, std::move(who));
  asio::co_spawn(ws->executor(), [session]() { return session->run(); }, asio::detached);
}

}  // namespace xz::session
