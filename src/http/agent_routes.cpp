#include "http/agent_routes.h"

#include <spdlog/spdlog.h>

#include "agents/agent_config.h"
#include "http/ota_request.h"
#include "store/agent_repository.h"
#include "store/store.h"
#include "tools/builtin/builtin_registry.h"

namespace xz::http {

namespace {

namespace asio = boost::asio;
using Json = nlohmann::json;

constexpr std::size_t kMaxListed = 1000;
constexpr std::size_t kMaxName = 200;

struct FieldError {
  std::string field;
  std::string message;
};

net::HttpResponse unprocessable(const std::string& field, const std::string& message) {
  return net::HttpResponse::json(422, {{"error", field + ": " + message}, {"field", field}});
}

std::string string_field(const Json& body, const char* key) {
  const Json& v = body.at(key);
  if (!v.is_string()) throw FieldError{key, "must be a string"};
  return v.get<std::string>();
}

// The body's fields over `a`. Unknown fields are refused: a misspelt one must not be
// silently ignored.
void apply_fields(const Json& body, store::AgentRecord& a) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    if (k == "name") {
      a.name = string_field(body, "name");
      if (a.name.empty() || a.name.size() > kMaxName) throw FieldError{"name", "must be 1 to 200 bytes"};
    } else if (k == "prompt") {
      a.prompt = string_field(body, "prompt");
    } else if (k == "language") {
      a.language = string_field(body, "language");
    } else if (k == "voice") {
      a.voice = string_field(body, "voice");
    } else if (k == "greeting") {
      a.greeting = string_field(body, "greeting");
    } else if (k == "engines") {
      if (!it->is_object()) throw FieldError{"engines", "must be an object: kind -> entry name"};
      a.engines = *it;
    } else if (k == "functions") {
      if (!it->is_object()) throw FieldError{"functions", "must be an object: function name -> its parameters"};
      a.functions = *it;
    } else if (k == "replacement_words") {
      if (!it->is_array()) throw FieldError{"replacement_words", "must be a list of \"written|spoken\" strings"};
      a.replacement_words = *it;
    } else if (k == "template") {
      if (!it->is_boolean()) throw FieldError{"template", "must be true or false"};
      a.is_template = it->get<bool>();
    } else if (k == "revision" || k == "id" || k == "created" || k == "updated") {
      // Set by the server (revision is read by the caller for the check).
    } else {
      throw FieldError{k, "is not a field of an agent"};
    }
  }
}

std::optional<std::int64_t> id_param(const net::HttpRequest& req) {
  const std::string& s = req.params.at("id");
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool truthy(const std::map<std::string, std::string>& q, const char* key) {
  auto it = q.find(key);
  return it != q.end() && (it->second == "true" || it->second == "1");
}

std::string query(const std::map<std::string, std::string>& q, const char* key) {
  auto it = q.find(key);
  return it == q.end() ? std::string() : it->second;
}

// The body as a JSON object, or the refusal.
std::optional<net::HttpResponse> read_object(const ApiContext& ctx, const net::HttpRequest& req, Json& out) {
  try {
    out = json_object_body(req, ctx.max_body_bytes);
  } catch (const BadRequest& e) {
    return api_error(e.status(), e.what());
  }
  return std::nullopt;
}

// 422 for what the configuration cannot run, else nullopt.
std::optional<net::HttpResponse> refuse_unusable(const ApiContext& ctx, const store::AgentRecord& a) {
  auto problems = agents::check_agent(ctx.config->root(), a, tools::builtin::builtin_function_names());
  if (problems.empty()) return std::nullopt;
  return unprocessable(problems.front().field, problems.front().message);
}

void changed(const ApiContext& ctx) {
  if (ctx.agents_changed) ctx.agents_changed();
}

}  // namespace

Json agent_json(const store::AgentRecord& a) {
  return {{"id", a.id},
          {"name", a.name},
          {"prompt", a.prompt},
          {"language", a.language},
          {"engines", a.engines},
          {"voice", a.voice},
          {"functions", a.functions},
          {"replacement_words", a.replacement_words},
          {"greeting", a.greeting},
          {"template", a.is_template},
          {"revision", a.revision},
          {"created", a.created},
          {"updated", a.updated}};
}

void add_agent_routes(net::HttpRouter& router, std::shared_ptr<const ApiContext> ctx,
                      std::vector<ApiRoute>& registered) {
  // Checked on the header: a caller without the token never gets its body read.
  auto limits = [ctx](Access need) {
    return net::RouteLimits{ctx->max_body_bytes,
                            [ctx, need](const net::HttpRequest& req) { return authorize(ctx->access, req, need); }};
  };
  auto list = [ctx](bool templates_only) {
    return [ctx, templates_only](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
      if (auto refusal = authorize(ctx->access, req, Access::read)) co_return *refusal;
      const std::string search = query(req.query, "search");
      const bool only = templates_only || truthy(req.query, "templates");
      std::vector<store::AgentRecord> found;
      co_await ctx->store.run(
          [&](store::Database& db) { found = store::AgentRepository(db).list(search, only, kMaxListed); });
      Json out = Json::array();
      for (const auto& a : found) out.push_back(agent_json(a));
      co_return net::HttpResponse::json(200, {{"agents", out}});
    };
  };

  add_api_route(router, registered, "GET", "/api/v1/agents", list(false), limits(Access::read));
  add_api_route(router, registered, "GET", "/api/v1/agents/templates", list(true), limits(Access::read));

  add_api_route(router, registered, "GET", "/api/v1/agents/{id}",
                [ctx](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
                  if (auto refusal = authorize(ctx->access, req, Access::read)) co_return *refusal;
                  auto id = id_param(req);
                  if (!id) co_return api_error(404, "no agent " + req.params.at("id"));
                  std::optional<store::AgentRecord> a;
                  co_await ctx->store.run([&](store::Database& db) { a = store::AgentRepository(db).find(*id); });
                  if (!a) co_return api_error(404, "no agent " + std::to_string(*id));
                  co_return net::HttpResponse::json(200, agent_json(*a));
                },
                limits(Access::read));

  add_api_route(router, registered, "POST", "/api/v1/agents",
                [ctx](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
                  if (auto refusal = authorize(ctx->access, req, Access::write)) co_return *refusal;
                  Json body;
                  if (auto refusal = read_object(*ctx, req, body)) co_return *refusal;
                  store::AgentRecord a;
                  try {
                    apply_fields(body, a);
                  } catch (const FieldError& e) {
                    co_return unprocessable(e.field, e.message);
                  }
                  if (a.name.empty()) co_return unprocessable("name", "is required");
                  if (auto refusal = refuse_unusable(*ctx, a)) co_return *refusal;
                  const auto now = unix_seconds(*ctx);
                  co_await ctx->store.run([&](store::Database& db) { a = store::AgentRepository(db).create(a, now); });
                  spdlog::info("API: agent #{} '{}' created", a.id, a.name);
                  co_return net::HttpResponse::json(201, agent_json(a));
                },
                limits(Access::write));

  add_api_route(router, registered, "PUT", "/api/v1/agents/{id}",
                [ctx](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
                  if (auto refusal = authorize(ctx->access, req, Access::write)) co_return *refusal;
                  auto id = id_param(req);
                  if (!id) co_return api_error(404, "no agent " + req.params.at("id"));
                  Json body;
                  if (auto refusal = read_object(*ctx, req, body)) co_return *refusal;
                  auto rev = body.find("revision");
                  if (rev == body.end() || !rev->is_number_integer())
                    co_return unprocessable("revision", "is required: the revision this change is based on");
                  std::optional<store::AgentRecord> current;
                  co_await ctx->store.run([&](store::Database& db) { current = store::AgentRepository(db).find(*id); });
                  if (!current) co_return api_error(404, "no agent " + std::to_string(*id));
                  store::AgentRecord a = *current;
                  try {
                    apply_fields(body, a);
                  } catch (const FieldError& e) {
                    co_return unprocessable(e.field, e.message);
                  }
                  if (auto refusal = refuse_unusable(*ctx, a)) co_return *refusal;
                  a.revision = rev->get<std::int64_t>();
                  const auto now = unix_seconds(*ctx);
                  store::Saved<store::AgentRecord> saved;
                  co_await ctx->store.run([&](store::Database& db) { saved = store::AgentRepository(db).update(a, now); });
                  switch (saved.outcome) {
                    case store::SaveOutcome::saved:
                      changed(*ctx);
                      co_return net::HttpResponse::json(200, agent_json(*saved.current));
                    case store::SaveOutcome::stale_revision:
                      co_return net::HttpResponse::json(
                          409, {{"error", "agent " + std::to_string(*id) + " was changed since revision " +
                                              std::to_string(a.revision) + " (now " +
                                              std::to_string(saved.current->revision) + ")"},
                                {"current", agent_json(*saved.current)}});
                    case store::SaveOutcome::not_found:
                      break;
                  }
                  co_return api_error(404, "no agent " + std::to_string(*id));
                },
                limits(Access::write));

  add_api_route(router, registered, "DELETE", "/api/v1/agents/{id}",
                [ctx](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
                  if (auto refusal = authorize(ctx->access, req, Access::write)) co_return *refusal;
                  auto id = id_param(req);
                  if (!id) co_return api_error(404, "no agent " + req.params.at("id"));
                  bool removed = false;
                  co_await ctx->store.run([&](store::Database& db) { removed = store::AgentRepository(db).remove(*id); });
                  if (!removed) co_return api_error(404, "no agent " + std::to_string(*id));
                  spdlog::info("API: agent #{} deleted; its devices use the default agent", *id);
                  changed(*ctx);
                  co_return net::HttpResponse::json(200, {{"deleted", *id}});
                },
                limits(Access::write));

  add_api_route(router, registered, "POST", "/api/v1/agents/{id}/clone",
                [ctx](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
                  if (auto refusal = authorize(ctx->access, req, Access::write)) co_return *refusal;
                  auto id = id_param(req);
                  if (!id) co_return api_error(404, "no agent " + req.params.at("id"));
                  std::string name;
                  if (!req.body.empty()) {
                    Json body;
                    if (auto refusal = read_object(*ctx, req, body)) co_return *refusal;
                    if (auto n = body.find("name"); n != body.end()) {
                      if (!n->is_string() || n->get<std::string>().size() > kMaxName)
                        co_return unprocessable("name", "must be a string of at most 200 bytes");
                      name = n->get<std::string>();
                    }
                  }
                  const auto now = unix_seconds(*ctx);
                  std::optional<store::AgentRecord> copy;
                  co_await ctx->store.run(
                      [&](store::Database& db) { copy = store::AgentRepository(db).clone(*id, name, now); });
                  if (!copy) co_return api_error(404, "no agent " + std::to_string(*id));
                  co_return net::HttpResponse::json(201, agent_json(*copy));
                },
                limits(Access::write));
}

}  // namespace xz::http
