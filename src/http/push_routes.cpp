#include "http/push_routes.h"

#include <chrono>
#include <memory>

#include <spdlog/spdlog.h>

#include "http/admin_auth.h"
#include "http/node_forwarding.h"
#include "http/ota_request.h"
#include "protocol/json_text.h"
#include "session/identity.h"
#include "session/session_registry.h"

namespace xz::http {

namespace {

constexpr std::size_t kMaxSpeakChars = 2000;

using Json = nlohmann::json;
using Task = boost::asio::awaitable<net::HttpResponse>;

net::HttpResponse offline(const std::string& id) {
  return net::HttpResponse::error(404, "device " + id + " is not connected to this server");
}

// A device not held here: the node holding it answers, else 404.
Task elsewhere_or_offline(const PushContext& ctx, const net::HttpRequest& req, const std::string& id) {
  if (ctx.forwarder) {
    if (auto answer = co_await ctx.forwarder->forward(req, id)) co_return std::move(*answer);
  }
  co_return offline(id);
}

Json session_json(const session::SessionInfo& s) {
  return {{"device_id", s.device_id},
          {"client_id", s.client_id},
          {"session_id", s.idle ? Json(nullptr) : Json(s.session_id)},  // idle: no conversation
          {"transport", s.transport},
          {"protocol_version", s.protocol_version},
          {"since", std::chrono::duration_cast<std::chrono::seconds>(s.since.time_since_epoch()).count()},
          {"state", s.state},
          {"remote_ip", s.remote_ip}};
}

// A tool's text answer, as JSON when it is JSON (device tools answer "true" or objects).
Json result_json(const std::string& text) {
  Json j = protocol::parse_json_text(text);
  return j.is_discarded() ? Json(text) : j;
}

Task list_online(std::shared_ptr<const PushContext> ctx, net::HttpRequest& req) {
  if (auto refusal = ctx->auth->refuse(req)) co_return *refusal;
  Json list = Json::array();
  for (const auto& info : ctx->registry.list()) {
    Json entry = session_json(info);
    if (auto control = ctx->registry.find(info.device_id)) {
      try {
        entry["tools"] = co_await control->describe_tools();
      } catch (const std::exception&) {
        entry["tools"] = nullptr;  // it left (or has not said hello) while we listed
      }
    }
    if (ctx->forwarder) entry["node"] = ctx->forwarder->self();
    list.push_back(std::move(entry));
  }
  if (!ctx->forwarder) co_return net::HttpResponse::json(200, {{"devices", std::move(list)}});
  auto remote = co_await ctx->forwarder->remote_online(req);
  for (auto& d : remote.devices) list.push_back(std::move(d));
  co_return net::HttpResponse::json(200, {{"devices", std::move(list)}, {"unreachable_nodes", std::move(remote.unreachable)}});
}

Task speak(std::shared_ptr<const PushContext> ctx, net::HttpRequest& req) {
  if (auto refusal = ctx->auth->refuse(req)) co_return *refusal;
  const std::string id = session::normalize_device_id(req.params["id"]);
  std::string text;
  try {
    auto body = json_object_body(req, ctx->max_body_bytes);
    auto it = body.find("text");
    if (it == body.end() || !it->is_string() || it->get<std::string>().find_first_not_of(" \t\r\n") == std::string::npos)
      throw BadRequest(400, "body must be {\"text\":\"<what the device should say>\"}");
    text = it->get<std::string>();
    if (text.size() > kMaxSpeakChars) throw BadRequest(413, "text is longer than 2000 bytes");
  } catch (const BadRequest& e) {
    co_return net::HttpResponse::error(e.status(), e.what());
  }
  auto control = ctx->registry.find(id);
  if (!control) co_return co_await elsewhere_or_offline(*ctx, req, id);
  bool started = false;
  try {
    started = co_await control->speak(std::move(text));
  } catch (const std::exception& e) {
    co_return net::HttpResponse::error(404, "device " + id + ": " + e.what());
  }
  if (!started) co_return net::HttpResponse::error(409, "device " + id + " is closing its session");
  spdlog::info("push: device {} speaks an operator's text", id);
  // "alert": an idle MQTT device has no audio channel; the text was shown, not spoken.
  co_return net::HttpResponse::json(
      200, {{"success", true}, {"device_id", id}, {"delivered", std::string(control->speak_delivery())}});
}

Task call_tool(std::shared_ptr<const PushContext> ctx, net::HttpRequest& req) {
  if (auto refusal = ctx->auth->refuse(req)) co_return *refusal;
  const std::string id = session::normalize_device_id(req.params["id"]);
  std::string name;
  Json arguments = Json::object();
  try {
    auto body = json_object_body(req, ctx->max_body_bytes);
    auto n = body.find("name");
    if (n == body.end() || !n->is_string() || n->get<std::string>().empty())
      throw BadRequest(400, "body must be {\"name\":\"<device tool>\",\"arguments\":{...}}");
    name = n->get<std::string>();
    if (auto a = body.find("arguments"); a != body.end() && !a->is_null()) {
      if (!a->is_object()) throw BadRequest(400, "arguments must be a JSON object");
      arguments = *a;
    }
  } catch (const BadRequest& e) {
    co_return net::HttpResponse::error(e.status(), e.what());
  }
  auto control = ctx->registry.find(id);
  if (!control) co_return co_await elsewhere_or_offline(*ctx, req, id);
  protocol::McpCallOutcome outcome;
  try {
    outcome = co_await control->call_device_tool(name, std::move(arguments));
  } catch (const std::exception& e) {
    co_return net::HttpResponse::error(502, "device " + id + ": " + e.what());
  }
  spdlog::info("push: device {} tool {} -> {}", id, name, outcome.ok ? "ok" : "error");
  co_return net::HttpResponse::json(200, {{"success", outcome.ok}, {"result", result_json(outcome.text)}});
}

}  // namespace

void add_push_routes(net::HttpRouter& router, PushContext context) {
  if (!context.auth) context.auth = std::make_shared<const AdminAuth>(context.token, nullptr);
  if (!context.auth->enabled()) return;
  auto ctx = std::make_shared<const PushContext>(std::move(context));
  // Checked on the header: a caller who may not never gets its body read.
  net::RouteLimits limits{ctx->max_body_bytes, [ctx](const net::HttpRequest& req) { return ctx->auth->refuse(req); }};
  router.add("GET", "/api/devices/online", [ctx](net::HttpRequest& req) { return list_online(ctx, req); }, limits);
  router.add("POST", "/api/devices/{id}/speak", [ctx](net::HttpRequest& req) { return speak(ctx, req); }, limits);
  router.add("POST", "/api/devices/{id}/mcp", [ctx](net::HttpRequest& req) { return call_tool(ctx, req); }, limits);
}

}  // namespace xz::http
