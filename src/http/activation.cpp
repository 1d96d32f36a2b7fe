#include "http/activation.h"

#include "core/log.h"
#include "http/ota_cors.h"
#include "http/ota_request.h"
#include "session/identity.h"
#include "store/store.h"

namespace xz::http {

boost::asio::awaitable<std::optional<store::ActivationCode>> activation_for(const OtaContext& ctx,
                                                                            const store::DeviceRecord& device,
                                                                            std::int64_t now_s) {
  if (!ctx.settings.activation_enabled || device.activation == store::ActivationState::bound) co_return std::nullopt;
  // server.auth.allowed_devices are trusted by name: they need no binding either.
  const std::string key = session::normalize_device_id(device.device_id);
  for (const auto& allowed : ctx.settings.allowed_devices)
    if (session::normalize_device_id(allowed) == key) co_return std::nullopt;
  co_return co_await ctx.store.activation_code_for(device.device_id, now_s, ctx.settings.activation_code_ttl_seconds);
}

void add_activation_route(net::HttpRouter& router, std::shared_ptr<const OtaContext> ctx) {
  const std::string path = "/xiaozhi/ota/activate";
  router.add(
      "POST", path, with_cors([ctx](net::HttpRequest& req) -> boost::asio::awaitable<net::HttpResponse> {
        std::string device_id;
        try {
          device_id = required_device_id(req);
          // {} from DIY boards; {algorithm, serial_number, challenge, hmac} from boards
          // with an eFuse serial, whose HMAC key only the manufacturer knows.
          json_object_body(req, ctx->settings.max_body_bytes);
        } catch (const BadRequest& e) {
          co_return net::HttpResponse::error(e.status(), e.what());
        }
        if (!ctx->settings.activation_enabled)
          co_return net::HttpResponse::json(200, {{"success", true}, {"message", "activation is not required"}});
        auto device = co_await ctx->store.find_device(device_id);
        if (device && device->activation == store::ActivationState::bound)
          co_return net::HttpResponse::json(200, {{"success", true}, {"message", "activated"}});
        core::SessionLog(device_id, "").debug("activation poll: not bound yet");
        // 202 = "pending": the firmware polls again in 3 s.
        co_return net::HttpResponse::json(202, {{"success", false}, {"message", "waiting for the code to be bound"}});
      }),
      {ctx->settings.max_body_bytes, {}});
  add_cors_preflight(router, path);
}

}  // namespace xz::http
