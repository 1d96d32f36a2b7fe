#pragma once
// A map with a capacity and per-entry expiry: the least recently used entry goes when
// a new one would exceed the capacity, an expired entry when it is looked up. Not
// synchronised: an owner shared by several loops guards it with its own mutex.
#include <chrono>
#include <cstddef>
#include <list>
#include <optional>
#include <unordered_map>
#include <utility>

namespace xz::core {

template <class Key, class Value, class Clock = std::chrono::steady_clock>
class BoundedCache {
 public:
  explicit BoundedCache(std::size_t capacity) : capacity_(capacity) {}

  // The value, when present and not expired at `now` (it becomes the most recent).
  std::optional<Value> get(const Key& key, typename Clock::time_point now) {
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    if (it->second->expires <= now) {
      order_.erase(it->second);
      index_.erase(it);
      return std::nullopt;
    }
    order_.splice(order_.begin(), order_, it->second);
    return it->second->value;
  }

  void put(const Key& key, Value value, typename Clock::time_point expires) {
    if (capacity_ == 0) return;
    if (auto it = index_.find(key); it != index_.end()) {
      it->second->value = std::move(value);
      it->second->expires = expires;
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    if (order_.size() >= capacity_) {
      index_.erase(order_.back().key);
      order_.pop_back();
    }
    order_.push_front(Entry{key, std::move(value), expires});
    index_[key] = order_.begin();
  }

  std::size_t size() const { return order_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    Key key;
    Value value;
    typename Clock::time_point expires;
  };
  std::size_t capacity_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<Key, typename std::list<Entry>::iterator> index_;
};

}  // namespace xz::core
