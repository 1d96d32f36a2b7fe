#pragma once
// The answer to an OTA check (device-protocol.md §2.2), built from values: no I/O.
// The device reads each block by name (cJSON), so key order does not matter.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "http/ota_request.h"
#include "http/ota_settings.h"
#include "store/device_records.h"

namespace xz::http {

struct FirmwareOffer {
  std::string version;
  std::string url;
};

// The reference's HMAC device token when auth is on and the device is not in
// allowed_devices; "" otherwise (the device then sends no Authorization header).
std::string websocket_token_for(const OtaSettings& s, const OtaDeviceReport& dev, std::int64_t now_s);

// server_time, firmware (always; the device's own version unless `firmware` offers
// a newer one), websocket, mqtt (the server's own endpoint on the device's node when
// server.mqtt is enabled, else an MQTT gateway when one is configured, else none) and
// activation (only when `activation` is given; the websocket token is then empty).
nlohmann::json build_ota_response(const OtaSettings& s, const OtaDeviceReport& dev, std::int64_t now_ms,
                                  const std::optional<FirmwareOffer>& firmware,
                                  const std::optional<store::ActivationCode>& activation);

}  // namespace xz::http
