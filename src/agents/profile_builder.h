#pragma once
// Turns an effective configuration (the config file, or the file merged with a
// manager-api agent) into a VoiceProfile: each engine comes from the EngineCache under
// the key of its entry, so profiles of the same configuration share every engine, and
// a profile of a new agent builds only what differs. Builds may load models: call
// build() on a worker (or at start-up), never on an event loop.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "agents/engine_cache.h"
#include "core/config.h"
#include "pipeline/voice_profile.h"
#include "providers/provider_context.h"

namespace xz::core {
class Metrics;
}
namespace xz::net {
class HttpClient;
}
namespace xz::store {
class Store;
}

namespace xz::agents {

struct ProfileBuildResources {
  providers::ProviderContext& ctx;
  store::Store& store;                    // local memory
  boost::asio::any_io_executor executor;  // where memories run their summaries
  core::Metrics* metrics = nullptr;
  std::shared_ptr<net::HttpClient> http;  // built-in functions' remote APIs; null = their own
};

class ProfileBuilder {
 public:
  // `cache` and everything in `r` must outlive the builder and every profile it makes.
  ProfileBuilder(ProfileBuildResources r, EngineCache& cache);

  // Every part from `cfg`. Without `fallback`, every problem is collected and thrown
  // as one core::ConfigError (start-up, --check-config). With one, a part that cannot
  // be built is taken from `fallback` and the problem is added to *warnings: a bad
  // agent costs its device that part, never the conversation.
  std::shared_ptr<pipeline::VoiceProfile> build(const core::Config& cfg, std::string origin,
                             const pipeline::VoiceProfile* fallback = nullptr,
                             std::vector<std::string>* warnings = nullptr);

  // The memories of profiles alive now (graceful shutdown drains each).
  std::vector<std::shared_ptr<memory::Memory>> live_memories();
  EngineCache& cache() { return cache_; }

 private:
  std::shared_ptr<boost::asio::ssl::context> endpoint_tls();

  ProfileBuildResources r_;
  EngineCache& cache_;
  std::mutex mu_;
  std::vector<std::weak_ptr<memory::Memory>> memories_;
  std::shared_ptr<boost::asio::ssl::context> endpoint_tls_;  // made on first wss:// endpoint
};

}  // namespace xz::agents
