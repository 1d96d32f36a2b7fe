#pragma once
// Caps on open connections, shared by every listener (WebSocket and HTTP port): one
// for the whole server, so accepting can never use up the descriptors the database,
// logs and outbound LLM/TTS connections need, and one per peer address, so one host
// cannot take them all. A connection over a cap is closed at once by the listener.
// Thread-safe: listeners admit on their accept loop; slots are released on any loop.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include "core/ip_ranges.h"

namespace xz::core {
class Counter;
class Metrics;
}  // namespace xz::core

namespace xz::net {

struct ConnectionLimits {
  std::size_t max_total = 0;   // 0 = no cap
  std::size_t max_per_ip = 0;  // 0 = no cap
  core::IpRanges per_ip_exempt;  // loopback, trusted proxies: many clients behind one address
};

enum class Refusal { none, total, per_ip };

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  // `metrics` (may be null) counts refusals in xiaozhi_connections_refused_total{cap=...};
  // it must outlive the limiter.
  explicit ConnectionLimiter(ConnectionLimits limits, core::Metrics* metrics = nullptr);

  struct Admission {
    std::shared_ptr<void> slot;  // held while the connection is open; null when refused
    Refusal refused = Refusal::none;
  };
  Admission admit(const boost::asio::ip::address& peer);

  std::size_t open() const { return open_.load(std::memory_order_relaxed); }
  std::size_t open_from(const boost::asio::ip::address& peer) const;
  const ConnectionLimits& limits() const { return limits_; }

 private:
  class Slot;
  void release(const std::string& key);

  ConnectionLimits limits_;
  std::atomic<std::size_t> open_{0};
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::size_t> per_ip_;
  core::Counter* refused_total_ = nullptr;
  core::Counter* refused_per_ip_ = nullptr;
};

}  // namespace xz::net
