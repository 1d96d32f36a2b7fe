#include "http/device_routes.h"

#include <unordered_map>

#include <spdlog/spdlog.h>

#include "http/ota_request.h"
#include "session/identity.h"
#include "session/session_registry.h"
#include "store/agent_repository.h"
#include "store/device_repository.h"
#include "store/store.h"

namespace xz::http {

namespace {

namespace asio = boost::asio;
using Json = nlohmann::json;

constexpr std::size_t kMaxListed = 10000;

using Online = std::unordered_map<std::string, session::SessionInfo>;

Online online_sessions(const session::SessionRegistry& registry) {
  Online out;
  for (auto& s : registry.list()) out.emplace(s.device_id, std::move(s));
  return out;
}

Json device_json(const store::DeviceRecord& d, const Online& online) {
  auto it = online.find(session::normalize_device_id(d.device_id));
  const bool on = it != online.end();
  return {{"device_id", d.device_id},
          {"client_id", d.client_id},
          {"board", d.board},
          {"firmware_version", d.firmware_version},
          {"first_seen", d.first_seen},
          {"last_seen", d.last_seen},
          {"activation", std::string(store::to_string(d.activation))},
          {"bound_at", d.bound_at ? Json(*d.bound_at) : Json(nullptr)},
          {"agent_id", d.agent_id ? Json(*d.agent_id) : Json(nullptr)},
          {"revision", d.revision},
          {"online", on},
          {"transport", on ? Json(it->second.transport) : Json(nullptr)},
          {"session_id", on ? Json(it->second.session_id) : Json(nullptr)}};
}

void changed(const ApiContext& ctx) {
  if (ctx.agents_changed) ctx.agents_changed();
}

}  // namespace

void add_device_routes(net::HttpRouter& router, std::shared_ptr<const ApiContext> ctx,
                       std::vector<ApiRoute>& registered) {
  auto limits = [ctx](Access need) {
    return net::RouteLimits{ctx->max_body_bytes,
                            [ctx, need](const net::HttpRequest& req) { return authorize(ctx->access, req, need); }};
  };

  add_api_route(router, registered, "GET", "/api/v1/devices",
                [ctx](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
                  if (auto refusal = authorize(ctx->access, req, Access::read)) co_return *refusal;
                  auto q = req.query.find("search");
                  const std::string search = q == req.query.end() ? std::string() : q->second;
                  std::vector<store::DeviceRecord> found;
                  co_await ctx->store.run(
                      [&](store::Database& db) { found = store::DeviceRepository(db).search(search, kMaxListed); });
                  const Online online = online_sessions(ctx->registry);
                  Json out = Json::array();
                  for (const auto& d : found) out.push_back(device_json(d, online));
                  co_return net::HttpResponse::json(200, {{"devices", out}});
                },
                limits(Access::read));

  add_api_route(router, registered, "POST", "/api/v1/devices/bind",
                [ctx](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
                  if (auto refusal = authorize(ctx->access, req, Access::write)) co_return *refusal;
                  std::string code;
                  std::optional<std::int64_t> agent_id;
                  try {
                    auto body = json_object_body(req, ctx->max_body_bytes);
                    auto c = body.find("code");
                    if (c == body.end() || !c->is_string())
                      co_return net::HttpResponse::json(422, {{"error", "code: must be the 6 digits the device speaks"},
                                                              {"field", "code"}});
                    code = c->get<std::string>();
                    if (auto a = body.find("agent_id"); a != body.end() && !a->is_null()) {
                      if (!a->is_number_integer())
                        co_return net::HttpResponse::json(422, {{"error", "agent_id: must be an agent's id or null"},
                                                                {"field", "agent_id"}});
                      agent_id = a->get<std::int64_t>();
                    }
                  } catch (const BadRequest& e) {
                    co_return api_error(e.status(), e.what());
                  }
                  const auto now = unix_seconds(*ctx);
                  store::BindResult result;
                  bool agent_known = true;
                  std::optional<store::DeviceRecord> device;
                  co_await ctx->store.run([&](store::Database& db) {
                    if (agent_id && !store::AgentRepository(db).find(*agent_id)) {
                      agent_known = false;
                      return;
                    }
                    store::DeviceRepository devices(db);
                    result = devices.bind(code, now);
                    if (result.outcome != store::BindOutcome::bound) return;
                    if (agent_id) {
                      auto current = devices.find(result.device_id);
                      if (current) devices.assign_agent(result.device_id, agent_id, current->revision);
                    }
                    device = devices.find(result.device_id);
                  });
                  if (!agent_known)
                    co_return net::HttpResponse::json(
                        422, {{"error", "agent_id: no agent " + std::to_string(*agent_id)}, {"field", "agent_id"}});
                  switch (result.outcome) {
                    case store::BindOutcome::bound:
                      spdlog::info("API: bound device {} with code {}", result.device_id, code);
                      changed(*ctx);
                      co_return net::HttpResponse::json(200, device_json(*device, online_sessions(ctx->registry)));
                    case store::BindOutcome::expired_code:
                      co_return api_error(410, "activation code " + code + " has expired");
                    case store::BindOutcome::unknown_code:
                      break;
                  }
                  co_return api_error(404, "no device is waiting with activation code " + code);
                },
                limits(Access::write));

  add_api_route(router, registered, "GET", "/api/v1/devices/{device_id}",
                [ctx](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
                  if (auto refusal = authorize(ctx->access, req, Access::read)) co_return *refusal;
                  const std::string id = req.params.at("device_id");
                  std::optional<store::DeviceRecord> d;
                  co_await ctx->store.run([&](store::Database& db) { d = store::DeviceRepository(db).find(id); });
                  if (!d) co_return api_error(404, "no device " + id);
                  co_return net::HttpResponse::json(200, device_json(*d, online_sessions(ctx->registry)));
                },
                limits(Access::read));

  add_api_route(router, registered, "POST", "/api/v1/devices/{device_id}/unbind",
                [ctx](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
                  if (auto refusal = authorize(ctx->access, req, Access::write)) co_return *refusal;
                  const std::string id = req.params.at("device_id");
                  std::optional<store::DeviceRecord> d;
                  co_await ctx->store.run([&](store::Database& db) { d = store::DeviceRepository(db).unbind(id); });
                  if (!d) co_return api_error(404, "no device " + id);
                  spdlog::info("API: device {} unbound", id);
                  changed(*ctx);
                  co_return net::HttpResponse::json(200, device_json(*d, online_sessions(ctx->registry)));
                },
                limits(Access::write));

  add_api_route(router, registered, "PUT", "/api/v1/devices/{device_id}/agent",
                [ctx](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
                  if (auto refusal = authorize(ctx->access, req, Access::write)) co_return *refusal;
                  const std::string id = req.params.at("device_id");
                  std::optional<std::int64_t> agent_id;
                  std::int64_t revision = 0;
                  try {
                    auto body = json_object_body(req, ctx->max_body_bytes);
                    auto a = body.find("agent_id");
                    if (a == body.end() || !(a->is_null() || a->is_number_integer()))
                      co_return net::HttpResponse::json(
                          422, {{"error", "agent_id: must be an agent's id, or null for the default agent"},
                                {"field", "agent_id"}});
                    if (!a->is_null()) agent_id = a->get<std::int64_t>();
                    auto r = body.find("revision");
                    if (r == body.end() || !r->is_number_integer())
                      co_return net::HttpResponse::json(
                          422, {{"error", "revision: is required: the device's revision this change is based on"},
                                {"field", "revision"}});
                    revision = r->get<std::int64_t>();
                  } catch (const BadRequest& e) {
                    co_return api_error(e.status(), e.what());
                  }
                  bool agent_known = true;
                  store::Saved<store::DeviceRecord> saved;
                  co_await ctx->store.run([&](store::Database& db) {
                    if (agent_id && !store::AgentRepository(db).find(*agent_id)) {
                      agent_known = false;
                      return;
                    }
                    saved = store::DeviceRepository(db).assign_agent(id, agent_id, revision);
                  });
                  if (!agent_known)
                    co_return net::HttpResponse::json(
                        422, {{"error", "agent_id: no agent " + std::to_string(*agent_id)}, {"field", "agent_id"}});
                  const Online online = online_sessions(ctx->registry);
                  switch (saved.outcome) {
                    case store::SaveOutcome::saved:
                      spdlog::info("API: device {} now uses {}", id,
                                   agent_id ? "agent #" + std::to_string(*agent_id) : std::string("the default agent"));
                      changed(*ctx);
                      co_return net::HttpResponse::json(200, device_json(*saved.current, online));
                    case store::SaveOutcome::stale_revision:
                      co_return net::HttpResponse::json(
                          409, {{"error", "device " + id + " was changed since revision " + std::to_string(revision) +
                                              " (now " + std::to_string(saved.current->revision) + ")"},
                                {"current", device_json(*saved.current, online)}});
                    case store::SaveOutcome::not_found:
                      break;
                  }
                  co_return api_error(404, "no device " + id);
                },
                limits(Access::write));
}

}  // namespace xz::http
