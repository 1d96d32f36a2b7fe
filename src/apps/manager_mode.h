#pragma once
// The server as the reference's xiaozhi-server inside a manager-api (智控台) deployment,
// when manager-api.url and .secret are set: server-base over the local file at start
// (or the copy cached from the last good answer, or the file alone when the manager is
// down), each device's agent from agent-models (ManagerProfileSource), unbound devices
// told their bind code, and the manager's update_config / restart, authenticated with
// the secret as the reference does.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "agents/manager_client.h"
#include "agents/manager_profile_source.h"
#include "agents/profile_builder.h"
#include "core/config.h"
#include "pipeline/conversation.h"
#include "session/agent_resolver.h"
#include "session/server_actions.h"
#include "session/session_registry.h"

namespace xz::apps {

// Whether `cfg` asks for manager mode: an http(s) manager-api.url and a secret that is
// not the reference's placeholder.
bool manager_mode_configured(const core::Config& cfg);

// What start-up got from server-base.
struct ServerBase {
  core::Json config;   // the local configuration with server-base merged over it
  std::string origin;  // "manager-api", "the cached copy ...", or "" (the local file alone)
};

// server-base at start: asked (with manager-api's retries), saved under the data
// directory when it comes, read back from there when the manager is down. Blocking:
// call from a thread that is not an event loop, with `ex` a running loop.
ServerBase fetch_server_base(agents::ManagerClient& client, const core::Json& local, const std::string& data_dir,
                             boost::asio::any_io_executor ex);

struct ManagerModeDeps {
  agents::ManagerClient& client;
  agents::ManagerProfileSource& source;
  agents::ProfileBuilder& builder;
  boost::asio::thread_pool& pool;
  session::SessionRegistry& registry;
  pipeline::VoiceServices& voice;
  core::Json local_config;            // the file's configuration, server-base merges over it
  pipeline::ProfilePtr local_profile;  // the file's agent: what a failing part falls back to
  std::string data_dir;
  std::function<void()> restart;  // asks main for a restart; empty: not possible here
};

class ManagerMode final : public session::AgentResolver, public session::ServerActions {
 public:
  explicit ManagerMode(ManagerModeDeps deps);

  // The server's profile from a merged configuration (on a worker or at start-up):
  // parts that cannot be built come from the local file's agent (logged).
  static pipeline::ProfilePtr build_server_profile(agents::ProfileBuilder& builder, const core::Config& merged,
                                                   const pipeline::ProfilePtr& local_profile);

  // The manager was down at start: server-base is asked again in the background (first
  // after manager-api.retry_delay but at least 1 s, doubling up to max_retry_delay)
  // until it comes, and
  // is then applied as update_config applies it. Runs on `ex` until the runtime stops.
  static void keep_asking_for_server_base(std::shared_ptr<ManagerMode> self, boost::asio::any_io_executor ex);

  // session::AgentResolver
  boost::asio::awaitable<session::DeviceAgent> resolve(session::DeviceIdentity who) override;
  // session::ServerActions: update_config re-reads server-base and rebuilds the server's
  // agent; every live session resolves its agent again and uses it from its next turn.
  boost::asio::awaitable<nlohmann::json> perform(std::string action, std::string secret) override;

 private:
  boost::asio::awaitable<nlohmann::json> update_config();
  // Merges server-base over the local file, rebuilds the server's agent off the loop and
  // tells every live session. "" when done, else why not.
  boost::asio::awaitable<std::string> apply_server_base(nlohmann::json data);
  static boost::asio::awaitable<void> ask_until_answered(std::weak_ptr<ManagerMode> weak);

  ManagerModeDeps d_;
  std::atomic<bool> have_server_base_{false};
};

}  // namespace xz::apps
