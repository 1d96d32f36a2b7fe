#pragma once
// A real HTTP server on an ephemeral port with the OTA (and optionally admin) routes,
// a real store in a private data directory, and a pinned wall clock.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/runtime.h"
#include "http/admin_routes.h"
#include "http/ota_routes.h"
#include "http/ota_settings.h"
#include "net/http_server.h"
#include "store/store.h"
#include "support/child_process.h"

namespace xz::test {

inline std::string fresh_dir(const std::string& tag) {
  static std::atomic<int> n{0};
  auto d = std::filesystem::temp_directory_path() /
           ("xz_http_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

// The wall clock the servers in a test binary see: fixed (so answers can be compared
// exactly) but near the real time, since the `devices` command reads the real clock.
inline const std::int64_t kPinnedMs =
    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();

// The firmware's check-version request (device-protocol.md §2.1).
inline const char* kDeviceId = "aa:bb:cc:dd:ee:ff";
inline const char* kClientId = "5c1a1c2e-8a8f-4d57-9e8b-2f9f0c0f3a11";

inline std::string firmware_body(const std::string& version = "2.4.2",
                                 const std::string& board = "bread-compact-wifi") {
  nlohmann::json j = nlohmann::json::parse(R"({
  "version": 2,
  "language": "zh-CN",
  "flash_size": 16777216,
  "minimum_free_heap_size": "8310000",
  "mac_address": "aa:bb:cc:dd:ee:ff",
  "uuid": "5c1a1c2e-8a8f-4d57-9e8b-2f9f0c0f3a11",
  "chip_model_name": "esp32s3",
  "chip_info": {"model": 9, "cores": 2, "revision": 2, "features": 18},
  "application": {
    "name": "xiaozhi",
    "version": "2.4.2",
    "compile_time": "Aug  6 2026T12:00:00Z",
    "idf_version": "v5.5.2",
    "elf_sha256": "0000000000000000000000000000000000000000000000000000000000000000"
  },
  "partition_table": [
    {"label": "nvs", "type": 1, "subtype": 2, "address": 36864, "size": 16384},
    {"label": "ota_0", "type": 0, "subtype": 16, "address": 131072, "size": 4194304}
  ],
  "ota": {"label": "ota_0"},
  "display": {"monochrome": false, "width": 240, "height": 240},
  "board": {
    "type": "bread-compact-wifi", "name": "bread-compact-wifi", "manufacturer": "...",
    "ssid": "MyWiFi", "rssi": -52, "channel": 6, "ip": "192.168.1.23",
    "mac": "aa:bb:cc:dd:ee:ff"
  }
})");
  j["application"]["version"] = version;
  j["board"]["type"] = board;
  return j.dump();
}

inline std::vector<std::pair<std::string, std::string>> firmware_headers(const std::string& device_id = kDeviceId,
                                                                         const std::string& client_id = kClientId,
                                                                         const std::string& version = "2.4.2") {
  return {{"Activation-Version", "1"},  {"Device-Id", device_id},
          {"Client-Id", client_id},     {"User-Agent", "bread-compact-wifi/" + version},
          {"Accept-Language", "zh-CN"}, {"Content-Type", "application/json"}};
}

// Dotted config paths ("server.auth.enabled" -> true).
using Overrides = std::vector<std::pair<std::string, nlohmann::json>>;

class OtaServer {
 public:
  // `overrides` are applied over an empty configuration.
  explicit OtaServer(Overrides overrides = {}) : own_dir_(fresh_dir("data")), rt_(2, 2) {
    nlohmann::json root = nlohmann::json::object();
    core::set_path(root, "log.data_dir", own_dir_);
    core::set_path(root, "server.port", 8000);
    core::set_path(root, "server.http_port", 8003);
    for (auto& [k, v] : overrides) core::set_path(root, k, v);
    config_ = core::Config(root);
    data_dir_ = config_.str("log.data_dir");

    rt_.start();
    store_ = std::make_unique<store::Store>(rt_.pool(), store::database_path(data_dir_));
    auth_key_ = config_.str("server.auth_key", "test-auth-key");
    settings_ = http::ota_settings_from_config(config_, auth_key_, "10.0.0.5");

    auto router = std::make_shared<net::HttpRouter>();
    http::OtaContext ctx{settings_, *store_, rt_.pool()};
    ctx.now = [this] { return std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms_.load())); };
    http::add_ota_routes(*router, std::move(ctx));
    http::AdminContext admin{*store_, config_.str("server.admin_token")};
    admin.now = [this] { return std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms_.load())); };
    http::add_admin_routes(*router, std::move(admin));

    net::HttpServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<net::HttpServer>(rt_, o, router);
    server_->start();
  }

  OtaServer(const OtaServer&) = delete;
  OtaServer& operator=(const OtaServer&) = delete;
  ~OtaServer() {
    server_->stop_accepting();
    boost::asio::co_spawn(rt_.loop(0), store_->close(), boost::asio::use_future).get();
    rt_.stop();
    std::error_code ec;
    std::filesystem::remove_all(own_dir_, ec);
  }

  unsigned short port() const { return server_->port(); }
  const std::string& data_dir() const { return data_dir_; }
  std::string bin_dir() const { return data_dir_ + "/bin"; }
  const core::Config& config() const { return config_; }
  const http::OtaSettings& settings() const { return settings_; }
  const std::string& auth_key() const { return auth_key_; }
  store::Store& store() { return *store_; }
  core::Runtime& runtime() { return rt_; }
  void advance_clock(std::chrono::milliseconds d) { now_ms_ += d.count(); }
  std::int64_t now_ms() const { return now_ms_.load(); }

  void put_firmware(const std::string& name, const std::string& content) {
    std::filesystem::create_directories(bin_dir());
    std::ofstream(bin_dir() + "/" + name, std::ios::binary) << content;
  }

  HttpResult check(const std::string& version = "2.4.2", const std::string& device_id = kDeviceId,
                   const std::string& board = "bread-compact-wifi") {
    auto headers = firmware_headers(device_id, kClientId, version);
    headers.emplace_back("Host", "127.0.0.1:" + std::to_string(port()));
    return http_request(port(), "POST", "/xiaozhi/ota/", firmware_body(version, board), headers);
  }
  nlohmann::json check_json(const std::string& version = "2.4.2", const std::string& device_id = kDeviceId,
                            const std::string& board = "bread-compact-wifi") {
    auto r = check(version, device_id, board);
    EXPECT_EQ(r.status, 200) << r.body;
    return nlohmann::json::parse(r.body);
  }
  HttpResult activate(const std::string& device_id = kDeviceId, const std::string& body = "{}") {
    return http_request(port(), "POST", "/xiaozhi/ota/activate", body, firmware_headers(device_id));
  }

 private:
  std::string own_dir_;
  std::string data_dir_;
  core::Config config_;
  core::Runtime rt_;
  std::unique_ptr<store::Store> store_;
  std::string auth_key_;
  http::OtaSettings settings_;
  std::unique_ptr<net::HttpServer> server_;
  std::atomic<std::int64_t> now_ms_{kPinnedMs};
};

}  // namespace xz::test
