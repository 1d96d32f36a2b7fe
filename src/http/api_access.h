#pragma once
// Who may call the /api/v1 routes: the one function every route asks. Reads are for
// any logged-in user or bearer; writes for admins. Until console accounts land
// (i19-accounts' authorization), both need the bearer admin token: switching is an
// edit of authorize() alone.
#include <optional>
#include <string>

#include "net/http_types.h"

namespace xz::http {

enum class Access { read, write };

struct ApiAccess {
  std::string admin_token;  // server.admin_token
};

// nullopt when the caller may proceed, else the refusal ({"error": ...}, 401 or 403).
std::optional<net::HttpResponse> authorize(const ApiAccess& access, const net::HttpRequest& req, Access need);

// {"error": message} with `status`: every /api/v1 error.
net::HttpResponse api_error(int status, const std::string& message);

}  // namespace xz::http
