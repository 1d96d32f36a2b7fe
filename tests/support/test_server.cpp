#include "support/test_server.h"

#include <cstdlib>

#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "apps/config_source.h"
#include "core/metrics_text.h"
#include "support/child_process.h"

namespace xz::test {

namespace {
std::string fresh_dir() {
  static std::atomic<int> counter{0};
  auto d = std::filesystem::temp_directory_path() /
           ("xz_it_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}
}  // namespace

TestServer::TestServer(std::vector<std::pair<std::string, nlohmann::json>> overrides, std::function<void()> restart)
    : data_dir_(fresh_dir()) {
  // A port found free may be taken by another socket before the server binds it:
  // try again with fresh ports.
  for (int attempt = 1;; ++attempt) {
    core::ConfigSource src = apps::server_config_source();
    src.default_override_path = data_dir_ + "/.config.yaml";
    const int http_port = free_port();
    const char* log_level = std::getenv("XZ_TEST_LOG");
    src.overrides = {{"server.ip", "127.0.0.1"},
                     {"server.port", free_port()},
                     {"server.http_port", http_port},
                     // Devices reach the vision endpoint on loopback, whatever the LAN is.
                     {"server.vision_explain", "http://127.0.0.1:" + std::to_string(http_port) + "/mcp/vision/explain"},
                     {"server.io_threads", 2},
                     {"server.workers", 2},
                     // Console passwords hashed at 1 MiB instead of 32: every start makes one.
                     {"server.console.password_log_n", 10},
                     {"log.data_dir", data_dir_},
                     {"log.log_dir", data_dir_ + "/log"},
                     {"log.console", log_level != nullptr},
                     {"log.level", log_level ? log_level : "info"}};
    for (const auto& o : overrides) src.overrides.push_back(o);
    server_ = std::make_unique<apps::Server>(core::Config::load(src));
    if (restart) server_->set_restart_handler(restart);
    try {
      server_->start();
      return;
    } catch (const std::runtime_error& e) {
      if (attempt >= 5 || std::string_view(e.what()).find("cannot listen") == std::string_view::npos) throw;
      server_.reset();
    }
  }
}

TestServer::~TestServer() {
  server_->shutdown(std::chrono::milliseconds(2000));
  server_.reset();
  std::error_code ec;
  std::filesystem::remove_all(data_dir_, ec);
}

double TestServer::metric(const std::string& series) const {
  const auto text = http_request(http_port(), "GET", "/metrics").body;
  return core::metric_sample(text, series).value_or(-1);
}

std::string TestServer::ws_url() const {
  return "ws://127.0.0.1:" + std::to_string(ws_port()) + "/xiaozhi/v1/";
}

std::string TestServer::http_url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(http_port()) + path;
}

}  // namespace xz::test
