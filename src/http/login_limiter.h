#pragma once
// Failed console logins, counted per client address and per account name (whether
// or not the account exists, so the limit says nothing about which names are real).
// Over max failures within `window` of the first one, further attempts are refused
// until the window ends. Both tables are bounded (max_tracked each, the least recently
// failed forgotten first). Thread-safe.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/bounded_cache.h"

namespace xz::http {

// 0 failures = no limit of that kind.
struct LoginLimits {
  std::size_t max_failures_per_ip = 10;
  std::size_t max_failures_per_account = 5;
  std::chrono::seconds window{900};
  std::size_t max_tracked = 10000;
};

class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LoginLimiter(LoginLimits limits)
      : limits_(limits), by_ip_(limits.max_tracked), by_account_(limits.max_tracked) {}

  // How long before this address may try this account again; nullopt = now.
  std::optional<std::chrono::seconds> retry_after(std::string_view ip, std::string_view account, Clock::time_point now);
  void failed(std::string_view ip, std::string_view account, Clock::time_point now);
  // The account's failures are forgotten (the address's stay: one address may be
  // guessing at many accounts).
  void succeeded(std::string_view account, Clock::time_point now);

  std::size_t tracked_addresses() const;
  std::size_t tracked_accounts() const;

 private:
  struct Failures {
    std::size_t count = 0;
    Clock::time_point first;
  };
  using Table = core::BoundedCache<std::string, Failures>;
  std::optional<std::chrono::seconds> blocked(Table& t, const std::string& key, std::size_t max, Clock::time_point now);
  void count(Table& t, const std::string& key, Clock::time_point now);

  LoginLimits limits_;
  mutable std::mutex mu_;
  Table by_ip_;
  Table by_account_;
};

}  // namespace xz::http
