#pragma once
// The manager-api's profile source (manager-api.url and .secret set): each connecting
// device's agent comes from POST /config/agent-models (with its MAC, client id and the
// server's selected modules) and POST /config/correct-words, asked together, merged
// over the server's configuration (the file merged with server-base) and built into a
// profile. Devices on the same agent share one profile and its engines.
//
// Unbound devices (the manager's 10041 / 10042) get an activation prompt instead. When
// the manager cannot answer within connect_deadline, the device gets its last good
// agent (remembered for up to remember_devices devices) or the server's default, and a
// log line says so: a manager that is down costs no session.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/thread_pool.hpp>

#include "agents/manager_client.h"
#include "agents/profile_builder.h"
#include "core/async.h"
#include "pipeline/voice_profile.h"

namespace xz::agents {

struct ManagerSourceOptions {
  std::chrono::milliseconds connect_deadline{5000};  // a connection waits this long for its agent
  std::size_t max_concurrent = 16;                   // agent-models requests in flight at once
  std::size_t remember_devices = 10000;              // last good agents kept
  // An agent's profile (and so its engines) stays this long after its last device
  // left: devices connect once per conversation, and must not rebuild engines each time.
  std::chrono::milliseconds keep_idle{600000};
  std::size_t max_idle_profiles = 256;  // idle profiles kept at most (the oldest go first)
  std::string bind_message = "Open the control panel and enter this code";  // 10042: the code follows
  std::string not_found_message;                                             // 10041
};

class ManagerProfileSource final : public pipeline::ProfileSource {
 public:
  // `client`, `builder` and `pool` must outlive the source.
  ManagerProfileSource(ManagerClient& client, ProfileBuilder& builder, boost::asio::thread_pool& pool,
                       ManagerSourceOptions options);

  // The server's configuration and its profile, the default of every device: at start,
  // and after each update_config (which bumps the generation).
  void set_base(std::shared_ptr<const core::Config> config, pipeline::ProfilePtr profile);
  std::shared_ptr<const core::Config> base() const;
  pipeline::ProfilePtr default_profile() const;

  boost::asio::awaitable<pipeline::ProfileResult> resolve(session::DeviceIdentity who) override;
  std::uint64_t generation() const override { return generation_.load(); }

 private:
  struct Answer {
    nlohmann::json agent;
    std::vector<std::string> words;
  };
  boost::asio::awaitable<pipeline::ProfilePtr> profile_for(const Answer& answer, const std::string& device,
                                                           std::shared_ptr<const core::Config> base,
                                                           pipeline::ProfilePtr fallback, std::uint64_t generation);
  void remember(const std::string& device, Answer answer);
  std::optional<Answer> last_good(const std::string& device);

  ManagerClient& client_;
  ProfileBuilder& builder_;
  boost::asio::thread_pool& pool_;
  ManagerSourceOptions options_;
  std::atomic<std::uint64_t> generation_{0};
  // Tokens: at most max_concurrent agent-models requests in flight.
  core::ConcurrentChannel<int> slots_;

  mutable std::mutex mu_;
  std::shared_ptr<const core::Config> base_;
  pipeline::ProfilePtr default_;
  std::unordered_map<std::string, Answer> last_good_;
  std::deque<std::string> last_good_order_;  // oldest first
  // Profiles by generation and answer: devices on one agent share one. Held strongly
  // for keep_idle after their last use.
  struct Kept {
    pipeline::ProfilePtr profile;
    std::chrono::steady_clock::time_point used;
  };
  void sweep_idle(std::chrono::steady_clock::time_point now);  // with mu_ held
  std::map<std::string, Kept> profiles_;
};

}  // namespace xz::agents
