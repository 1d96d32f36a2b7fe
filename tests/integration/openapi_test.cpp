// docs/api/openapi.yaml against the server: the file parses as OpenAPI 3.1, every
// route it lists is registered (and answered by its handler on a running server,
// not by the router's 404/405), and every registered /api/v1 route is in the file.
#include <fstream>
#include <set>
#include <sstream>

#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include "build_paths.h"
#include "core/config.h"
#include "http/api_routes.h"
#include "session/session_registry.h"
#include "store/store.h"
#include "support/child_process.h"
#include "support/test_server.h"

using nlohmann::json;

namespace {

json load_openapi() {
  const std::string path = std::string(XZ_TEST_FIXTURES_DIR) + "/../../docs/api/openapi.yaml";
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  return xz::core::Config::parse_yaml(text.str(), path);
}

constexpr const char* kToken = "openapi-test-token-0123456789abcdef01";

using Route = std::pair<std::string, std::string>;  // method, pattern

std::set<Route> documented(const json& doc) {
  std::set<Route> out;
  for (auto p = doc["paths"].begin(); p != doc["paths"].end(); ++p)
    for (const char* m : {"get", "post", "put", "delete", "patch"})
      if (p->contains(m)) {
        std::string upper = m;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out.insert({upper, p.key()});
      }
  return out;
}

}  // namespace

TEST(OpenApi, TheFileParsesAndListsExactlyTheRegisteredRoutes) {
  const json doc = load_openapi();
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc.value("openapi", ""), "3.1.0");
  ASSERT_TRUE(doc.contains("paths") && doc["paths"].is_object());
  // Every $ref points at a schema or response the file has.
  std::function<void(const json&)> refs = [&](const json& j) {
    if (j.is_object()) {
      if (auto r = j.find("$ref"); r != j.end()) {
        const std::string ref = r->get<std::string>();
        ASSERT_EQ(ref.rfind("#/components/", 0), 0u) << ref;
        json::json_pointer ptr(ref.substr(1));
        EXPECT_TRUE(doc.contains(ptr)) << "dangling " << ref;
      }
      for (const auto& [k, v] : j.items()) refs(v);
    } else if (j.is_array()) {
      for (const auto& v : j) refs(v);
    }
  };
  refs(doc);
  // Every editable field of an agent says when it applies.
  for (const auto& [name, field] : doc["components"]["schemas"]["AgentInput"]["properties"].items())
    if (name != "revision") {
      EXPECT_TRUE(field.contains("x-applies")) << name;
    }

  boost::asio::thread_pool pool(1);
  const std::string dir = ::testing::TempDir() + "openapi_store";
  {
    xz::store::Store store(pool, xz::store::database_path(dir));
    xz::session::SessionRegistry registry;
    xz::net::HttpRouter router;
    auto registered = xz::http::add_api_routes(
        router, {store, registry, {"token"}, std::make_shared<const xz::core::Config>(json::object()), {}, 4096});
    std::set<Route> in_server;
    for (const auto& r : registered) in_server.insert({r.method, r.pattern});
    EXPECT_EQ(in_server.size(), registered.size()) << "a route registered twice";
    EXPECT_EQ(documented(doc), in_server);
  }
  pool.join();
}

TEST(OpenApi, EveryDocumentedRouteIsAnsweredByItsHandler) {
  xz::test::TestServer s(std::vector<std::pair<std::string, json>>{{"server.admin_token", kToken}});
  for (const auto& [method, pattern] : documented(load_openapi())) {
    std::string path = pattern;
    for (const char* p : {"{id}", "{device_id}"})
      if (auto at = path.find(p); at != std::string::npos) path.replace(at, std::string(p).size(), "424242");
    auto r = xz::test::http_request(s.http_port(), method, path, "{}",
                                    {{"Authorization", std::string("Bearer ") + kToken}, {"Content-Type", "application/json"}});
    auto body = json::parse(r.body, nullptr, false);
    // The router's own refusals are {"success":false,"message":...}; the API's carry "error" or data.
    EXPECT_FALSE(body.is_object() && body.contains("message") && !body.contains("error"))
        << method << " " << path << " -> " << r.status << " " << r.body;
    EXPECT_NE(r.status, 405) << method << " " << path;
  }
}
