#pragma once
// The composition root: builds every layer from the configuration, owns the
// listeners, and runs graceful shutdown. Used by xiaozhi-server's main and, in
// process, by the integration tests.
#include <chrono>
#include <cstdint>
#include <memory>

#include "core/config.h"

namespace xz::apps {

class Server {
 public:
  explicit Server(core::Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts loops and listeners. Throws std::runtime_error (e.g. port in use).
  void start();
  // Stops accepting, lets live work finish for up to `grace`, saves what must be
  // saved, stops the loops. Blocking; call from a non-loop thread. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

  std::uint16_t ws_port() const;
  std::uint16_t http_port() const;
  std::size_t live_sessions() const;
  bool shutting_down() const;
  const core::Config& config() const;

  struct Parts;

 private:
  std::unique_ptr<Parts> p_;
};

}  // namespace xz::apps
