#include "http/ota_routes.h"

#include <memory>

#include <fmt/format.h>

#include "core/log.h"
#include "http/activation.h"
#include "http/firmware_catalog.h"
#include "http/firmware_download.h"
#include "http/ota_cors.h"
#include "http/ota_request.h"
#include "http/ota_response.h"
#include "store/store.h"

namespace xz::http {

namespace {

constexpr const char* kOtaPath = "/xiaozhi/ota/";

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == ':' || c == '[' || c == ']';
}

// Where the device can fetch a firmware image: the configured public base, else the
// host it used to reach this endpoint, else the LAN address.
std::string download_base(const OtaSettings& s, const net::HttpRequest& req) {
  if (!s.download_base_url.empty()) return s.download_base_url;
  std::string host = req.header("Host");
  bool ok = !host.empty() && host.size() <= 255;
  for (char c : host) ok = ok && host_char(c);
  if (!ok) return s.fallback_base_url;
  return (req.header("X-Forwarded-Proto") == "https" ? "https://" : "http://") + host;
}

struct Services {
  explicit Services(OtaContext c)
      : ctx(std::move(c)), firmware(ctx.settings.firmware_dir, ctx.settings.firmware_cache_ttl, ctx.pool) {}
  OtaContext ctx;
  FirmwareCatalog firmware;
};

// Records the check and returns the activation code the device must show, if any.
boost::asio::awaitable<std::optional<store::ActivationCode>> record_check(const OtaContext& ctx,
                                                                          const OtaDeviceReport& dev,
                                                                          std::int64_t now_s) {
  store::DeviceSighting seen{dev.device_id, dev.client_id, dev.board, dev.firmware_version, now_s};
  store::DeviceRecord record = co_await ctx.store.record_seen(std::move(seen));
  co_return co_await activation_for(ctx, record, now_s);
}

boost::asio::awaitable<net::HttpResponse> handle_check(Services& svc, net::HttpRequest& req) {
  const OtaContext& ctx = svc.ctx;
  const OtaSettings& s = ctx.settings;
  OtaDeviceReport dev;
  std::string refusal;
  int refusal_status = 0;
  try {
    dev = parse_ota_request(req, s.max_body_bytes);
  } catch (const BadRequest& e) {
    refusal = e.what();
    refusal_status = e.status();
  }
  if (refusal_status != 0) {
    spdlog::info("OTA check from {} refused: {}", req.remote_ip, refusal);
    co_return net::HttpResponse::error(refusal_status, refusal);
  }
  core::SessionLog log(dev.device_id, "");
  const auto now = ctx.now();
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::int64_t now_s = now_ms / 1000;

  std::optional<store::ActivationCode> activation;
  if (s.activation_enabled) {
    activation = co_await record_check(ctx, dev, now_s);
  } else {
    // The answer does not depend on the database then: a failed write must not stop a boot.
    try {
      co_await record_check(ctx, dev, now_s);
    } catch (const store::DatabaseError& e) {
      log.warn("OTA check: device not recorded: {}", e.what());
    }
  }

  std::optional<FirmwareOffer> offer;
  if (!dev.firmware_version.empty()) {
    auto image = co_await svc.firmware.newer_than(dev.board, dev.firmware_version);
    if (image)
      offer = FirmwareOffer{image->version, download_base(s, req) + "/xiaozhi/ota/download/" + image->file_name};
  }

  log.info("OTA check: board={} version={}{}{}", dev.board.empty() ? "-" : dev.board,
           dev.firmware_version.empty() ? "-" : dev.firmware_version,
           offer ? " -> offering " + offer->version : std::string(),
           activation ? " (activation code " + activation->code + ")" : std::string());
  co_return net::HttpResponse::json(200, build_ota_response(s, dev, now_ms, offer, activation));
}

}  // namespace

void add_ota_routes(net::HttpRouter& router, OtaContext ctx) {
  auto svc = std::make_shared<Services>(std::move(ctx));

  router.add("GET", kOtaPath, with_cors([svc](net::HttpRequest&) -> boost::asio::awaitable<net::HttpResponse> {
               co_return net::HttpResponse::text(
                   200, "OTA接口运行正常，向设备发送的websocket地址是：" + fmt::format("{}", fmt::join(svc->ctx.settings.websocket_urls, ";")));
             }));
  router.add("POST", kOtaPath,
             with_cors([svc](net::HttpRequest& req) -> boost::asio::awaitable<net::HttpResponse> {
               co_return co_await handle_check(*svc, req);
             }),
             {svc->ctx.settings.max_body_bytes, {}});
  add_cors_preflight(router, kOtaPath);

  // Shares the context (and its Store reference) with the check above.
  add_activation_route(router, std::shared_ptr<const OtaContext>(svc, &svc->ctx));
  add_firmware_download_route(router, svc->ctx.settings.firmware_dir, svc->ctx.pool);
}

}  // namespace xz::http
