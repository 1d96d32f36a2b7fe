#pragma once
// Everything the OTA, activation and firmware-download handlers share.
#include <chrono>
#include <functional>

#include "http/ota_settings.h"

namespace boost::asio {
class thread_pool;
}
namespace xz::store {
class Store;
}

namespace xz::http {

struct OtaContext {
  OtaSettings settings;
  store::Store& store;
  boost::asio::thread_pool& pool;  // directory scans and path checks
  // Wall clock for server_time, token timestamps and code expiry; tests pin it.
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

}  // namespace xz::http
