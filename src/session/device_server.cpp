#include "session/device_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

#include "net/origin_policy.h"
#include "net/websocket.h"
#include "protocol/server_messages.h"
#include "session/device_admission.h"

namespace xz::session {

namespace asio = boost::asio;

namespace {

void refuse(net::WebSocket& ws, const DeviceIdentity& who, const std::string& reason) {
  spdlog::warn("[dev={} ip={}] connection refused: {}", who.device_id.empty() ? "-" : who.device_id, who.remote_ip,
               reason);
  // An alert is what the firmware shows on screen; the close frame carries the reason too.
  ws.send_text(protocol::make_alert("", "error", "Connection refused: " + reason, "sad"));
  ws.close(reason);
}

void run_session(const SessionDeps& deps, std::shared_ptr<net::WebSocket> ws, DeviceIdentity who) {
  auto ex = ws->executor();
  // A gateway's connection keeps the gateway's framing; a device's follows its version.
  auto framing = who.from_mqtt_gateway ? protocol::Framing::mqtt_gateway
                                       : protocol::framing_for_version(who.protocol_version);
  auto session = std::make_shared<Session>(deps, std::make_unique<WsDeviceLink>(std::move(ws), framing), std::move(who));
  asio::co_spawn(ex, [session]() { return session->run(); }, asio::detached);
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Everything by value: the coroutine may outlive the DeviceServer during shutdown.
asio::awaitable<void> admit_and_run(SessionDeps deps, AdmissionPolicy policy, std::shared_ptr<net::WebSocket> ws,
                                    DeviceIdentity who) {
  auto admission = co_await admit(std::move(deps), std::move(policy), who);
  if (!admission.deps) {
    refuse(*ws, who, admission.refusal);
    co_return;
  }
  run_session(*admission.deps, std::move(ws), std::move(who));
}

}  // namespace

DeviceServer::DeviceServer(core::Runtime& rt, DeviceServerOptions opts, SessionDeps deps, AuthPolicy auth,
                           std::shared_ptr<const ActivationGate> gate, ActivationConversationFactory tell_activation,
                           std::shared_ptr<AgentResolver> resolver)
    : deps_(std::move(deps)),
      auth_(std::move(auth)),
      gate_(std::move(gate)),
      tell_activation_(std::move(tell_activation)),
      resolver_(std::move(resolver)) {
  auto router = std::make_shared<net::HttpRouter>();
  router->set_fallback([](net::HttpRequest&) -> asio::awaitable<net::HttpResponse> {
    co_return net::HttpResponse::text(200, "Server is running\n");
  });
  net::HttpServerOptions h;
  h.name = "websocket";
  h.address = opts.address;
  h.port = opts.port;
  h.max_body_bytes = 8 * 1024;  // nothing on this port takes a body
  h.max_ws_message_bytes = opts.max_message_bytes;
  h.header_timeout = opts.handshake_timeout;
  h.body_timeout = opts.handshake_timeout;
  h.limiter = opts.limiter;
  h.trusted_proxies = opts.trusted_proxies;
  http_ = std::make_unique<net::HttpServer>(rt, h, router);
  http_->set_websocket_handler(
      [this](std::shared_ptr<net::WebSocket> ws, net::HttpRequest req) { accept(std::move(ws), std::move(req)); });
  // Browsers send an Origin; firmware does not. Refused before the 101, so a foreign
  // page never gets a socket to speak through.
  auto origins = std::make_shared<const net::OriginPolicy>(opts.allowed_origins, opts.http_port);
  http_->set_upgrade_check([origins](const net::HttpRequest& req) -> std::optional<net::HttpResponse> {
    auto why = origins->refusal(req);
    if (!why) return std::nullopt;
    spdlog::warn("websocket: upgrade from {} refused: {}", req.remote_ip, *why);
    return net::HttpResponse::error(403, *why);
  });
}

void DeviceServer::start() { http_->start(); }

void DeviceServer::accept(std::shared_ptr<net::WebSocket> ws, net::HttpRequest req) {
  DeviceIdentity who = identity_from_request(req);
  if (!is_valid_device_id(who.device_id)) {
    refuse(*ws, who,
           who.device_id.empty() ? "missing Device-Id (header or device-id query parameter)"
                                 : "invalid Device-Id (1-64 printable characters, no '|')");
    return;
  }
  if (auto why = client_id_problem(who.client_id)) {
    refuse(*ws, who, "invalid Client-Id: " + *why);
    return;
  }
  if (auto d = authorize(auth_, who, unix_now()); !d.allowed) {
    refuse(*ws, who, "authentication failed: " + d.reason);
    return;
  }
  AdmissionPolicy policy{gate_, tell_activation_, resolver_};
  if (admission_is_immediate(policy)) {
    run_session(deps_, std::move(ws), std::move(who));
    return;
  }
  auto ex = ws->executor();
  asio::co_spawn(ex, admit_and_run(deps_, std::move(policy), std::move(ws), std::move(who)), asio::detached);
}

}  // namespace xz::session
