#pragma once
// The operator's HTTP API, off unless server.admin_token is set or console accounts are
// on; every call is checked by AdminAuth (the token, or a console session + CSRF for
// writes; missing -> 401, wrong/forbidden -> 403):
//   GET  /api/devices         {"devices":[...]} most recently seen first
//   POST /api/devices/bind    {"code":"123456"} -> {"success":true,"device_id":...}
//                             404 unknown code, 410 expired code
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "http/admin_auth.h"

#include "net/http_types.h"

namespace xz::store {
class Store;
}

namespace xz::http {

struct AdminContext {
  store::Store& store;
  std::string token;  // used when `auth` is null; then empty = no routes at all (404)
  std::shared_ptr<const AdminAuth> auth = nullptr;  // the server's one check (token and console sessions)
  std::size_t max_body_bytes = 64 * 1024;  // server.max_admin_body_bytes; larger: 413, unread
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

void add_admin_routes(net::HttpRouter& router, AdminContext ctx);

}  // namespace xz::http
