#pragma once
// GET|POST /mcp/vision/explain: the device's camera tool uploads a photo and a question
// (device-protocol.md §5.7) and gets the vision model's answer
// {"success":true,"action":"RESPONSE","response":"..."} (reference-server.md §6.4).
// Unlike the reference, the model is awaited asynchronously: other requests on the
// same loop go on while it thinks.
//
// Statuses: 401 missing/invalid/expired token or Device-Id mismatch; 400 malformed
// multipart, no image, unknown image type; 413 image too large; 503 no VLLM configured
// or too many requests in flight; 502 the VLLM failed. Errors are {"success":false,"message":...}.
#include <chrono>
#include <functional>

#include "http/vision_settings.h"
#include "net/http_types.h"

namespace boost::asio {
class thread_pool;
}
namespace xz::protocol {
class VisionTokenCodec;
}
namespace xz::providers {
class VllmEngine;
}

namespace xz::http {

// The token codec, engine and pool must outlive the router.
struct VisionContext {
  VisionSettings settings;
  const protocol::VisionTokenCodec& tokens;
  providers::VllmEngine* vllm = nullptr;  // null: POST answers 503
  boost::asio::thread_pool& pool;         // multipart parsing of multi-megabyte bodies
  // Wall clock (unix seconds) for token expiry; tests pin it.
  std::function<double()> now_unix = [] {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  };
};

void add_vision_routes(net::HttpRouter& router, VisionContext ctx);

}  // namespace xz::http
