#pragma once
// The database's profile source (no manager-api): a device bound to an agent of the
// store (store/agent_repository.h) talks with that agent, the configuration file
// overlaid with its choices (agent_config.h) and built by the ProfileBuilder, so its
// engines come from the EngineCache; every other device gets the config file's agent.
// Devices on one agent share one profile. A saved agent or binding calls
// agents_changed(): the generation moves and conversations resolve again at their
// next turn (one per distinct (agent, revision) is built then, never one per device).
// An agent the store cannot read or build costs its devices the default, with a log line.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "agents/profile_builder.h"
#include "core/config.h"
#include "pipeline/voice_profile.h"

namespace xz::store {
class Store;
}

namespace xz::agents {

class DbProfileSource final : public pipeline::ProfileSource {
 public:
  // `store`, `builder` and `pool` must outlive the source. `base` is the configuration
  // agents are overlaid on; `fallback` its profile (every unbound device's).
  DbProfileSource(store::Store& store, ProfileBuilder& builder, boost::asio::thread_pool& pool,
                  std::shared_ptr<const core::Config> base, pipeline::ProfilePtr fallback,
                  std::size_t max_profiles = 256);

  boost::asio::awaitable<pipeline::ProfileResult> resolve(session::DeviceIdentity who) override;
  std::uint64_t generation() const override { return generation_.load(); }

  // An agent or a device's binding was saved.
  void agents_changed() { generation_.fetch_add(1); }
  const core::Config& base() const { return *base_; }
  const pipeline::ProfilePtr& default_profile() const { return fallback_; }
  // Profiles of agents held now (a test hook).
  std::size_t profiles_held() const;

 private:
  store::Store& store_;
  ProfileBuilder& builder_;
  boost::asio::thread_pool& pool_;
  std::shared_ptr<const core::Config> base_;
  pipeline::ProfilePtr fallback_;
  std::size_t max_profiles_;
  std::atomic<std::uint64_t> generation_{1};

  mutable std::mutex mu_;
  // By agent id: the profile of its revision last built. A newer revision replaces it.
  struct Held {
    std::int64_t revision = 0;
    pipeline::ProfilePtr profile;
  };
  std::map<std::int64_t, Held> profiles_;
};

}  // namespace xz::agents
