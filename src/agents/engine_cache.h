#pragma once
// Engines built once per distinct configuration and shared by every profile that uses
// it: the key is the kind plus the canonical JSON of the effective entry (engine_key),
// so two agents with the same TTS entry share one TTS engine, and an agent's voice of
// its own makes a second one. The cache holds engines weakly: an engine goes when the
// last profile holding it goes. Safe from any thread; a build runs on the calling
// thread (a worker, never a loop: engines may load models), and concurrent asks for
// the same key wait for the one build.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace xz::agents {

// "<kind>|<entry as compact JSON, keys sorted>": nlohmann's objects are ordered maps, so
// equal entries dump equally whatever the order of their keys in the files.
std::string engine_key(std::string_view kind, const nlohmann::json& entry);

class EngineCache {
 public:
  EngineCache() = default;
  EngineCache(const EngineCache&) = delete;
  EngineCache& operator=(const EngineCache&) = delete;

  // The live engine for `key`, or the one `build` makes (and the cache remembers).
  // `build`'s exceptions pass through; nothing is remembered then.
  template <class T>
  std::shared_ptr<T> get(const std::string& key, const std::function<std::shared_ptr<T>()>& build) {
    auto s = slot(key);
    std::lock_guard lk(s->mu);
    if (auto live = s->engine.lock()) return std::const_pointer_cast<T>(std::static_pointer_cast<const T>(live));
    std::shared_ptr<T> made = build();
    s->engine = made;
    if (made) builds_.fetch_add(1, std::memory_order_relaxed);
    return made;
  }

  // Engines constructed so far (a test hook and the metric xiaozhi_engines_built_total).
  std::uint64_t builds() const { return builds_.load(std::memory_order_relaxed); }
  // Engines alive now (those being built are not counted yet).
  std::size_t live() const;
  // Keys remembered (live or not yet swept): bounded however many configurations came and went.
  std::size_t slots() const;

 private:
  struct Slot {
    std::mutex mu;
    std::weak_ptr<const void> engine;
  };
  std::shared_ptr<Slot> slot(const std::string& key);

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Slot>> slots_;
  std::size_t prune_at_ = 64;  // forgotten keys are swept when the map grows past this
  std::atomic<std::uint64_t> builds_{0};
};

}  // namespace xz::agents
