#pragma once
// A little per-session memory for a tool shared by every session ("the news item I read
// you last"), keyed by session id. Bounded: past `capacity` sessions the least recently
// used entry is dropped, so ended sessions cost nothing for long. Thread-safe.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace xz::tools::builtin {

template <class T>
class SessionMemo {
 public:
  explicit SessionMemo(std::size_t capacity = 1024) : capacity_(capacity == 0 ? 1 : capacity) {}

  void put(const std::string& session_id, T value) {
    std::lock_guard lk(mu_);
    entries_[session_id] = {std::move(value), ++clock_};
    if (entries_.size() <= capacity_) return;
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second.second < oldest->second.second) oldest = it;
    entries_.erase(oldest);
  }

  std::optional<T> get(const std::string& session_id) {
    std::lock_guard lk(mu_);
    auto it = entries_.find(session_id);
    if (it == entries_.end()) return std::nullopt;
    it->second.second = ++clock_;
    return it->second.first;
  }

  std::size_t size() const {
    std::lock_guard lk(mu_);
    return entries_.size();
  }

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::uint64_t clock_ = 0;
  std::map<std::string, std::pair<T, std::uint64_t>> entries_;
};

}  // namespace xz::tools::builtin
