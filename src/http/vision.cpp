#include "http/vision.h"

#include <atomic>
#include <cctype>
#include <memory>
#include <optional>

#include "core/async.h"
#include "core/log.h"
#include "http/ota_cors.h"
#include "http/vision_upload.h"
#include "protocol/vision_token.h"
#include "providers/vllm/vllm.h"

namespace xz::http {

namespace {

constexpr const char* kVisionPath = "/mcp/vision/explain";
constexpr const char* kTestClientId = "web_test_client";

struct VisionService {
  explicit VisionService(VisionContext c) : ctx(std::move(c)) {}
  VisionContext ctx;
  std::atomic<std::size_t> in_flight{0};
};

// Holds one of the max_concurrent slots for the lifetime of a request.
class InFlightSlot {
 public:
  InFlightSlot(std::atomic<std::size_t>& n, std::size_t limit) : n_(n) {
    std::size_t cur = n_.load();
    while (cur < limit && !n_.compare_exchange_weak(cur, cur + 1)) {
    }
    held_ = cur < limit;
  }
  ~InFlightSlot() {
    if (held_) --n_;
  }
  InFlightSlot(const InFlightSlot&) = delete;
  InFlightSlot& operator=(const InFlightSlot&) = delete;
  bool held() const { return held_; }

 private:
  std::atomic<std::size_t>& n_;
  bool held_ = false;
};

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

// The reason a request is not allowed, or std::nullopt when it is.
std::optional<std::string> auth_failure(const VisionContext& ctx, const net::HttpRequest& req) {
  if (ctx.settings.allow_test_client && req.header("Client-Id") == kTestClientId) return std::nullopt;
  std::string auth = req.header("Authorization");
  if (!iequals_prefix(auth, "Bearer ")) return "missing authentication token (Authorization: Bearer ...)";
  std::string_view token = std::string_view(auth).substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  auto device = ctx.tokens.verify(token, ctx.now_unix());
  if (!device) return "invalid authentication token or token expired";
  if (*device != req.header("Device-Id")) return "Device-Id does not match the token";
  return std::nullopt;
}

boost::asio::awaitable<net::HttpResponse> handle_explain(VisionService& svc, net::HttpRequest& req) {
  const VisionContext& ctx = svc.ctx;
  core::SessionLog log(req.header("Device-Id"), "vision");
  if (auto why = auth_failure(ctx, req)) {
    log.warn("vision request from {} refused: {}", req.remote_ip, *why);
    co_return net::HttpResponse::error(401, *why);
  }
  if (!ctx.vllm) co_return net::HttpResponse::error(503, "no vision model configured (selected_module.VLLM)");
  InFlightSlot slot(svc.in_flight, ctx.settings.max_concurrent);
  if (!slot.held()) co_return net::HttpResponse::error(503, "vision service busy, try again later");

  // The request outlives the offloaded job: this coroutine waits for it.
  std::string content_type = req.header("Content-Type");
  std::size_t max_image = ctx.settings.max_image_bytes;
  auto parse = [&req, &content_type, max_image] { return parse_vision_upload(content_type, req.body, max_image); };
  std::optional<VisionUpload> upload;
  try {
    upload = co_await core::offload(ctx.pool, std::move(parse));
  } catch (const VisionUploadError& e) {
    log.warn("vision upload rejected ({}): {}", e.status, e.what());
    co_return net::HttpResponse::error(e.status, e.what());
  }
  req.body.clear();
  req.body.shrink_to_fit();  // the image now lives in `upload`; don't hold it twice while the model thinks

  log.info("vision: {} bytes of {}, question: {:.200}", upload->image.size(), protocol::mime_type(upload->type),
           upload->question);
  std::string image = std::move(upload->image);
  std::string mime(protocol::mime_type(upload->type));
  std::string question = std::move(upload->question);
  std::string answer;
  try {
    answer = co_await ctx.vllm->explain(std::move(image), std::move(mime), std::move(question));
  } catch (const std::exception& e) {
    log.error("vision model failed: {}", e.what());
    co_return net::HttpResponse::error(502, std::string("vision model failed: ") + e.what());
  }
  log.info("vision answer: {:.200}", answer);
  nlohmann::json body = {{"success", true}, {"action", "RESPONSE"}, {"response", answer}};
  co_return net::HttpResponse::json(200, body);
}

}  // namespace

void add_vision_routes(net::HttpRouter& router, VisionContext ctx) {
  auto svc = std::make_shared<VisionService>(std::move(ctx));
  router.add("GET", kVisionPath, with_cors([svc](net::HttpRequest&) -> boost::asio::awaitable<net::HttpResponse> {
               co_return net::HttpResponse::text(
                   200, "MCP Vision 接口运行正常，视觉解释接口地址是：" + svc->ctx.settings.explain_url);
             }));
  // The token is checked on the header: an upload without one is refused unread.
  net::RouteLimits limits{svc->ctx.settings.max_body_bytes,
                          [svc](const net::HttpRequest& req) -> std::optional<net::HttpResponse> {
                            auto why = auth_failure(svc->ctx, req);
                            if (!why) return std::nullopt;
                            core::SessionLog(req.header("Device-Id"), "vision")
                                .warn("vision request from {} refused: {}", req.remote_ip, *why);
                            auto refusal = net::HttpResponse::error(401, *why);
                            add_cors_headers(refusal);
                            return refusal;
                          }};
  router.add("POST", kVisionPath,
             with_cors([svc](net::HttpRequest& req) -> boost::asio::awaitable<net::HttpResponse> {
               co_return co_await handle_explain(*svc, req);
             }),
             limits);
  add_cors_preflight(router, kVisionPath);
}

}  // namespace xz::http
