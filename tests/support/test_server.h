#pragma once
// The whole server in-process on free ports, plus a client event loop for simulated
// devices: what every integration test starts from.
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include "apps/server.h"
#include "core/async.h"
#include "core/runtime.h"

namespace xz::test {

class TestServer {
 public:
  // `overrides` are dotted config paths ("server.auth.enabled" -> true) applied over the
  // defaults; ports, data and log directories are set to fresh, private values.
  // `restart`: what the manager-api's restart does (Server::set_restart_handler).
  explicit TestServer(std::vector<std::pair<std::string, nlohmann::json>> overrides = {},
                      std::function<void()> restart = {});
  ~TestServer();

  apps::Server& server() { return *server_; }
  unsigned short ws_port() const { return server_->ws_port(); }
  unsigned short http_port() const { return server_->http_port(); }
  std::string ws_url() const;
  std::string http_url(const std::string& path) const;
  const std::string& data_dir() const { return data_dir_; }
  // One sample of GET /metrics ("name{label=\"v\"}"); -1 when the series is absent.
  double metric(const std::string& series) const;

 private:
  std::string data_dir_;
  std::unique_ptr<apps::Server> server_;
};

// One event loop for the test's simulated devices.
class ClientLoop {
 public:
  ClientLoop() : rt_(1, 1) { rt_.start(); }
  boost::asio::any_io_executor executor() { return rt_.loop(0).get_executor(); }
  core::Runtime& runtime() { return rt_; }

  // Runs a coroutine on the loop and returns its result (rethrows its exception).
  template <class T>
  T run(core::Task<T> task, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    auto fut = boost::asio::co_spawn(rt_.loop(0), std::move(task), boost::asio::use_future);
    if (fut.wait_for(timeout) != std::future_status::ready)
      throw std::runtime_error("test coroutine did not finish in time");
    return fut.get();
  }

 private:
  core::Runtime rt_;
};

}  // namespace xz::test
