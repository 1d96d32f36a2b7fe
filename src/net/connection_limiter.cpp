#include "net/connection_limiter.h"

#include "core/metrics.h"

namespace xz::net {

class ConnectionLimiter::Slot {
 public:
  Slot(std::shared_ptr<ConnectionLimiter> owner, std::string key) : owner_(std::move(owner)), key_(std::move(key)) {}
  ~Slot() { owner_->release(key_); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::shared_ptr<ConnectionLimiter> owner_;
  std::string key_;  // "" = not counted per address
};

ConnectionLimiter::ConnectionLimiter(ConnectionLimits limits, core::Metrics* metrics) : limits_(std::move(limits)) {
  if (!metrics) return;
  const std::string help = "Connections closed at once because a connection cap was reached";
  refused_total_ = &metrics->counter("xiaozhi_connections_refused_total", help, "cap=\"total\"");
  refused_per_ip_ = &metrics->counter("xiaozhi_connections_refused_total", help, "cap=\"per_ip\"");
}

ConnectionLimiter::Admission ConnectionLimiter::admit(const boost::asio::ip::address& peer) {
  const auto address = core::unmapped(peer);
  const bool per_ip = limits_.max_per_ip != 0 && !limits_.per_ip_exempt.contains(address);
  std::string key = per_ip ? address.to_string() : std::string();
  std::lock_guard lk(mu_);
  if (limits_.max_total != 0 && open_.load(std::memory_order_relaxed) >= limits_.max_total) {
    if (refused_total_) refused_total_->inc();
    return {nullptr, Refusal::total};
  }
  if (per_ip) {
    auto& n = per_ip_[key];
    if (n >= limits_.max_per_ip) {
      if (refused_per_ip_) refused_per_ip_->inc();
      return {nullptr, Refusal::per_ip};
    }
    ++n;
  }
  open_.fetch_add(1, std::memory_order_relaxed);
  return {std::make_shared<Slot>(shared_from_this(), std::move(key)), Refusal::none};
}

void ConnectionLimiter::release(const std::string& key) {
  std::lock_guard lk(mu_);
  open_.fetch_sub(1, std::memory_order_relaxed);
  if (key.empty()) return;
  auto it = per_ip_.find(key);
  if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
}

std::size_t ConnectionLimiter::open_from(const boost::asio::ip::address& peer) const {
  std::lock_guard lk(mu_);
  auto it = per_ip_.find(core::unmapped(peer).to_string());
  return it == per_ip_.end() ? 0 : it->second;
}

}  // namespace xz::net
