#include "agents/engine_cache.h"

#include <vector>

namespace xz::agents {

std::string engine_key(std::string_view kind, const nlohmann::json& entry) {
  std::string key(kind);
  key += '|';
  key += entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return key;
}

std::shared_ptr<EngineCache::Slot> EngineCache::slot(const std::string& key) {
  std::lock_guard lk(mu_);
  auto it = slots_.find(key);
  if (it != slots_.end()) return it->second;
  if (slots_.size() >= prune_at_) {
    // Keys whose engine is gone (and that nobody is building) are forgotten, so a manager
    // that keeps changing agents does not grow the map without end.
    for (auto i = slots_.begin(); i != slots_.end();) {
      std::unique_lock busy(i->second->mu, std::try_to_lock);
      if (busy.owns_lock() && i->second->engine.expired() && i->second.use_count() == 1) {
        busy.unlock();
        i = slots_.erase(i);
      } else {
        ++i;
      }
    }
    prune_at_ = std::max<std::size_t>(64, slots_.size() * 2);
  }
  return slots_.emplace(key, std::make_shared<Slot>()).first->second;
}

std::size_t EngineCache::live() const {
  // A build may ask for other engines (a memory its LLM): never hold mu_ while waiting
  // on a slot.
  std::vector<std::shared_ptr<Slot>> all;
  {
    std::lock_guard lk(mu_);
    all.reserve(slots_.size());
    for (const auto& [key, s] : slots_) all.push_back(s);
  }
  // A slot being built is skipped: a metrics scrape must not wait for a model to load.
  std::size_t n = 0;
  for (const auto& s : all) {
    std::unique_lock slot_lock(s->mu, std::try_to_lock);
    if (slot_lock.owns_lock() && !s->engine.expired()) ++n;
  }
  return n;
}

}  // namespace xz::agents

namespace xz::agents {

std::size_t EngineCache::slots() const {
  std::lock_guard lk(mu_);
  return slots_.size();
}

}  // namespace xz::agents
