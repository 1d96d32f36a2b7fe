#pragma once
// The device's configuration endpoint (device-protocol.md §2), the one entry point
// the server calls:
//   GET  /xiaozhi/ota/                 plain-text self check (the websocket URL)
//   POST /xiaozhi/ota/                 the firmware's check-version request
//   POST /xiaozhi/ota/activate         activation poll (200 / 202)
//   GET  /xiaozhi/ota/download/{file}  firmware image from data/bin
// with CORS headers and OPTIONS on each.
#include "http/ota_context.h"
#include "net/http_types.h"

namespace xz::http {

void add_ota_routes(net::HttpRouter& router, OtaContext ctx);

}  // namespace xz::http
