#pragma once
// Device activation (server.activation.enabled): a device nobody has bound yet gets
// a 6-digit code in its OTA answer and polls POST /xiaozhi/ota/activate, which
// answers 202 until an operator binds the code (`xiaozhi-server devices bind CODE`
// or the admin API), then 200. The firmware cannot chat until it gets 200 and an
// OTA answer without `activation`.
#include <cstdint>
#include <memory>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "http/ota_context.h"
#include "net/http_types.h"
#include "store/device_records.h"

namespace xz::http {

// The code the device must show, or nullopt when it may go on (activation off, the
// device is bound, or it is in server.auth.allowed_devices). Issues a code on first need and reuses it until it expires.
boost::asio::awaitable<std::optional<store::ActivationCode>> activation_for(const OtaContext& ctx,
                                                                            const store::DeviceRecord& device,
                                                                            std::int64_t now_s);

// POST /xiaozhi/ota/activate (+ OPTIONS).
void add_activation_route(net::HttpRouter& router, std::shared_ptr<const OtaContext> ctx);

}  // namespace xz::http
