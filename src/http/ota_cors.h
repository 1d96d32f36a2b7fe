#pragma once
// CORS as the reference server sends it on its device endpoints, so the browser test
// page can call OTA, activation and firmware download from another origin.
#include <string>

#include "net/http_types.h"

namespace xz::http {

// Adds the three Access-Control-Allow-* headers every answer carries.
void add_cors_headers(net::HttpResponse& resp);
// Wraps a handler so its answers (errors included) carry the CORS headers.
net::HttpHandler with_cors(net::HttpHandler handler);
// Answers OPTIONS on `path` with 200 and Access-Control-Allow-Methods.
void add_cors_preflight(net::HttpRouter& router, const std::string& path);

}  // namespace xz::http
