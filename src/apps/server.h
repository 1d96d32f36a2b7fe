#pragma once
// The composition root: builds every layer from the configuration, owns the
// listeners, and runs graceful shutdown. Used by xiaozhi-server's main and, in
// process, by the integration tests.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/config.h"

namespace xz::apps {

class Server {
 public:
  explicit Server(core::Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Builds what start() builds from a configuration (engines, memory, functions, the
  // MCP settings; the same code), on throwaway resources, and drops it: no listener, no
  // file in the data directory. Throws core::ConfigError listing every problem, so
  // --check-config rejects exactly what start() rejects. Needs no network.
  static void check_config(const core::Config& config);

  // Starts loops and listeners. Throws core::ConfigError for a configuration the
  // engines or functions refuse, std::runtime_error otherwise (e.g. port in use).
  void start();
  // Stops accepting, lets live work finish for up to `grace`, saves what must be
  // saved, stops the loops. Blocking; call from a non-loop thread. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

  // Before start(): what the manager-api's "restart" does (main re-executes the
  // process after a graceful shutdown). Unset: the manager's restart is refused.
  void set_restart_handler(std::function<void()> restart);

  std::uint16_t ws_port() const;
  std::uint16_t http_port() const;
  std::size_t live_sessions() const;
  bool shutting_down() const;
  const core::Config& config() const;
  // Engines constructed so far: one per distinct configuration (a test hook).
  std::uint64_t engines_built() const;

  struct Parts;

 private:
  void create_first_admin(const std::string& console_url);

  std::unique_ptr<Parts> p_;
};

}  // namespace xz::apps
