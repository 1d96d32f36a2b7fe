#pragma once
// A rate bound: `rate` units per second accrue up to `capacity`, and each admitted item
// spends its cost. Over any span T at most capacity + rate * T units pass, so a long
// run is held to `rate` while a burst of up to `capacity` (after a quiet spell) passes.
// Starts full. Not thread-safe: one per session, used on its executor.
#include <algorithm>
#include <chrono>

namespace xz::core {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double rate_per_second, double capacity, Clock::time_point now)
      : rate_(rate_per_second), capacity_(capacity), tokens_(capacity), at_(now) {}

  // Spends `cost` when that much has accrued; false (nothing spent) otherwise.
  bool take(double cost, Clock::time_point now) {
    refill(now);
    if (tokens_ < cost) return false;
    tokens_ -= cost;
    return true;
  }

  double available(Clock::time_point now) {
    refill(now);
    return tokens_;
  }

 private:
  void refill(Clock::time_point now) {
    if (now <= at_) return;
    tokens_ = std::min(capacity_, tokens_ + std::chrono::duration<double>(now - at_).count() * rate_);
    at_ = now;
  }

  double rate_;
  double capacity_;
  double tokens_;
  Clock::time_point at_;
};

}  // namespace xz::core
