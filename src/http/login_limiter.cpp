#include "http/login_limiter.h"

#include <algorithm>

namespace xz::http {

std::optional<std::chrono::seconds> LoginLimiter::blocked(Table& t, const std::string& key, std::size_t max,
                                                          Clock::time_point now) {
  if (max == 0) return std::nullopt;  // no limit
  auto f = t.get(key, now);  // an entry whose window is over has expired
  if (!f || f->count < max) return std::nullopt;
  auto left = std::chrono::ceil<std::chrono::seconds>(f->first + limits_.window - now);
  return std::max(left, std::chrono::seconds(1));
}

void LoginLimiter::count(Table& t, const std::string& key, Clock::time_point now) {
  Failures f = t.get(key, now).value_or(Failures{0, now});
  ++f.count;
  t.put(key, f, f.first + limits_.window);
}

std::optional<std::chrono::seconds> LoginLimiter::retry_after(std::string_view ip, std::string_view account,
                                                              Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto a = blocked(by_ip_, std::string(ip), limits_.max_failures_per_ip, now);
  auto b = blocked(by_account_, std::string(account), limits_.max_failures_per_account, now);
  if (a && b) return std::max(*a, *b);
  return a ? a : b;
}

void LoginLimiter::failed(std::string_view ip, std::string_view account, Clock::time_point now) {
  std::lock_guard lock(mu_);
  count(by_ip_, std::string(ip), now);
  count(by_account_, std::string(account), now);
}

void LoginLimiter::succeeded(std::string_view account, Clock::time_point now) {
  std::lock_guard lock(mu_);
  const std::string key(account);
  // Only an entry there is replaced (a new one would push out another's), by one that
  // has already expired: the cache has no erase.
  if (by_account_.get(key, now)) by_account_.put(key, Failures{0, now}, now);
}

std::size_t LoginLimiter::tracked_addresses() const {
  std::lock_guard lock(mu_);
  return by_ip_.size();
}

std::size_t LoginLimiter::tracked_accounts() const {
  std::lock_guard lock(mu_);
  return by_account_.size();
}

}  // namespace xz::http
