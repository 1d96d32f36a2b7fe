#include "apps/server.h"

#include <atomic>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/runtime.h"
#include "http/health.h"
#include "net/http_server.h"

namespace xz::apps {

struct Server::Parts {
  explicit Parts(core::Config c)
      : config(std::move(c)),
        runtime(config.get<std::size_t>("server.io_threads", 0),
                config.get<std::size_t>("server.workers", 0)) {}

  core::Config config;
  core::Runtime runtime;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::unique_ptr<net::HttpServer> http;
  std::atomic<bool> stopping{false};
  bool stopped = false;
};

Server::Server(core::Config config) : p_(std::make_unique<Parts>(std::move(config))) {}

Server::~Server() { shutdown(std::chrono::milliseconds(0)); }

void Server::start() {
  auto& cfg = p_->config;
  p_->runtime.start();
  spdlog::info("runtime: {} event loops, {} workers", p_->runtime.loop_count(),
               p_->runtime.worker_count());

  const int http_port = cfg.get<int>("server.http_port", 8003);
  if (http_port != 0) {
    auto router = std::make_shared<net::HttpRouter>();
    http::add_health_routes(*router, {p_->started, [this] { return live_sessions(); },
                                      [this] { return shutting_down(); }});
    net::HttpServerOptions o;
    o.name = "http";
    o.address = cfg.str("server.ip", "0.0.0.0");
    o.port = static_cast<std::uint16_t>(http_port);
    o.max_body_bytes = cfg.get<std::size_t>("server.max_http_body_bytes", 6 * 1024 * 1024);
    p_->http = std::make_unique<net::HttpServer>(p_->runtime, o, router);
    p_->http->start();
    spdlog::info("HTTP listening on {}:{} (/health)", o.address, p_->http->port());
  }
}

void Server::shutdown(std::chrono::milliseconds grace) {
  if (p_->stopped) return;
  p_->stopping = true;
  auto deadline = std::chrono::steady_clock::now() + grace;
  if (p_->http) p_->http->stop_accepting();

  auto busy = [&] { return (p_->http && p_->http->open_connections() > 0) || live_sessions() > 0; };
  // Live work finishes on its own loops; this thread only watches the counters.
  while (busy() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (busy()) spdlog::warn("shutdown: grace period over with work still running; stopping anyway");

  p_->runtime.stop();
  p_->http.reset();
  p_->stopped = true;
}

std::uint16_t Server::ws_port() const { return 0; }
std::uint16_t Server::http_port() const { return p_->http ? p_->http->port() : 0; }
std::size_t Server::live_sessions() const { return 0; }
bool Server::shutting_down() const { return p_->stopping; }
const core::Config& Server::config() const { return p_->config; }

}  // namespace xz::apps
