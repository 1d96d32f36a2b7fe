#include "agents/db_profile_source.h"

#include <spdlog/spdlog.h>

#include "agents/agent_config.h"
#include "core/async.h"
#include "store/agent_repository.h"
#include "store/store.h"

namespace xz::agents {

namespace asio = boost::asio;

DbProfileSource::DbProfileSource(store::Store& store, ProfileBuilder& builder, asio::thread_pool& pool,
                                 std::shared_ptr<const core::Config> base, pipeline::ProfilePtr fallback,
                                 std::size_t max_profiles)
    : store_(store),
      builder_(builder),
      pool_(pool),
      base_(std::move(base)),
      fallback_(std::move(fallback)),
      max_profiles_(std::max<std::size_t>(1, max_profiles)) {}

std::size_t DbProfileSource::profiles_held() const {
  std::lock_guard lk(mu_);
  return profiles_.size();
}

asio::awaitable<pipeline::ProfileResult> DbProfileSource::resolve(session::DeviceIdentity who) {
  const std::string device = who.device_id;
  std::optional<store::AgentRecord> agent;
  try {
    co_await store_.run([&agent, &device](store::Database& db) { agent = store::AgentRepository(db).agent_of_device(device); });
  } catch (const std::exception& e) {
    spdlog::warn("[dev={}] agents: cannot read the device's agent ({}); the default agent is used", device, e.what());
    co_return pipeline::ProfileResult{fallback_, std::nullopt};
  }
  if (!agent) co_return pipeline::ProfileResult{fallback_, std::nullopt};
  {
    std::lock_guard lk(mu_);
    if (auto it = profiles_.find(agent->id); it != profiles_.end() && it->second.revision == agent->revision)
      co_return pipeline::ProfileResult{it->second.profile, std::nullopt};
  }
  // Overlaying and building (engines may load models) happen on a worker.
  auto build = [this, &agent, &device]() -> pipeline::ProfilePtr {
    std::vector<std::string> warnings;
    pipeline::ProfilePtr made;
    try {
      core::Config cfg(agent_overlay(base_->root(), *agent));
      made = builder_.build(cfg, "agent '" + agent->name + "' (#" + std::to_string(agent->id) + ")", fallback_.get(),
                            &warnings);
    } catch (const std::exception& e) {
      warnings.push_back(std::string("it cannot be built (") + e.what() + "); the default agent is used");
      made = fallback_;
    }
    for (const auto& w : warnings) spdlog::warn("[dev={}] agent #{}: {}", device, agent->id, w);
    return made;
  };
  pipeline::ProfilePtr p = co_await core::offload(pool_, build);
  if (p == fallback_) co_return pipeline::ProfileResult{p, std::nullopt};
  std::lock_guard lk(mu_);
  auto& held = profiles_[agent->id];
  // Two devices resolving one new revision at once: the first build is kept and shared.
  if (held.profile && held.revision == agent->revision) co_return pipeline::ProfileResult{held.profile, std::nullopt};
  if (!held.profile || held.revision < agent->revision) held = Held{agent->revision, p};
  // Bounded: past max_profiles, profiles no conversation holds go (their agents rebuild on next use).
  for (auto it = profiles_.begin(); profiles_.size() > max_profiles_ && it != profiles_.end();) {
    if (it->first != agent->id && it->second.profile.use_count() == 1)
      it = profiles_.erase(it);
    else
      ++it;
  }
  co_return pipeline::ProfileResult{p, std::nullopt};
}

}  // namespace xz::agents
