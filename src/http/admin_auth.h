#pragma once
// The admin token check shared by every operator route: "Authorization: Bearer <token>",
// compared in constant time. Missing -> 401, wrong -> 403.
#include <optional>
#include <string_view>

#include "net/http_types.h"

namespace xz::http {

// nullopt when the caller may proceed, else the refusal to send.
std::optional<net::HttpResponse> refuse_unauthorized(std::string_view admin_token, const net::HttpRequest& req);

}  // namespace xz::http
