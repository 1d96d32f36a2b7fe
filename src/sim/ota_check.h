#pragma once
// The firmware's OTA check (POST with its headers and body, device-protocol.md §2), for
// SimDevice and the load generator. The client is the caller's: the load generator's
// devices of one loop share one (a client per device would cost a TLS context each).
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "sim/sim_device.h"

namespace xz::net {
class HttpClient;
}

namespace xz::sim {

struct OtaAnswer {
  int status = 0;
  nlohmann::json body;  // null when the answer was not JSON
};

// Throws std::runtime_error on transport errors and timeouts.
boost::asio::awaitable<OtaAnswer> check_ota(net::HttpClient& http, std::string url, const DeviceProfile& profile);

// The JSON body the firmware posts.
nlohmann::json ota_request_body(const DeviceProfile& profile);

}  // namespace xz::sim
