#include "http/admin_routes.h"

#include <memory>

#include <spdlog/spdlog.h>

#include "http/admin_auth.h"
#include "http/ota_request.h"
#include "store/store.h"

namespace xz::http {

namespace {

constexpr std::size_t kMaxListed = 10000;

nlohmann::json device_json(const store::DeviceRecord& d) {
  return {{"device_id", d.device_id},
          {"client_id", d.client_id},
          {"board", d.board},
          {"firmware_version", d.firmware_version},
          {"first_seen", d.first_seen},
          {"last_seen", d.last_seen},
          {"activation", std::string(store::to_string(d.activation))},
          {"bound_at", d.bound_at ? nlohmann::json(*d.bound_at) : nlohmann::json(nullptr)}};
}

}  // namespace

void add_admin_routes(net::HttpRouter& router, AdminContext context) {
  if (!context.auth) context.auth = std::make_shared<const AdminAuth>(context.token, nullptr);
  if (!context.auth->enabled()) return;
  auto ctx = std::make_shared<const AdminContext>(std::move(context));
  // Checked on the header: a caller who may not never gets its body read.
  net::RouteLimits limits{ctx->max_body_bytes,
                          [ctx](const net::HttpRequest& req) { return ctx->auth->refuse(req); }};

  router.add("GET", "/api/devices", [ctx](net::HttpRequest& req) -> boost::asio::awaitable<net::HttpResponse> {
    if (auto refusal = ctx->auth->refuse(req)) co_return *refusal;
    auto devices = co_await ctx->store.list_devices(kMaxListed);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : devices) list.push_back(device_json(d));
    co_return net::HttpResponse::json(200, {{"devices", list}});
  }, limits);

  router.add("POST", "/api/devices/bind", [ctx](net::HttpRequest& req) -> boost::asio::awaitable<net::HttpResponse> {
    if (auto refusal = ctx->auth->refuse(req)) co_return *refusal;
    std::string code;
    try {
      auto body = json_object_body(req, ctx->max_body_bytes);
      auto it = body.find("code");
      if (it == body.end() || !it->is_string()) throw BadRequest(400, "body must be {\"code\":\"<6 digits>\"}");
      code = it->get<std::string>();
    } catch (const BadRequest& e) {
      co_return net::HttpResponse::error(e.status(), e.what());
    }
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(ctx->now().time_since_epoch()).count();
    auto result = co_await ctx->store.bind_code(code, now);
    switch (result.outcome) {
      case store::BindOutcome::bound:
        spdlog::info("admin API: bound device {} with code {}", result.device_id, code);
        co_return net::HttpResponse::json(200, {{"success", true}, {"device_id", result.device_id}});
      case store::BindOutcome::expired_code:
        co_return net::HttpResponse::error(410, "activation code " + code + " has expired");
      case store::BindOutcome::unknown_code:
        break;
    }
    co_return net::HttpResponse::error(404, "no device is waiting with activation code " + code);
  }, limits);
}

}  // namespace xz::http
