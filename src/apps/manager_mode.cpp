#include "apps/manager_mode.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>

#include "agents/manager_wire.h"
#include "core/async.h"

namespace xz::apps {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

namespace {

// Where the last good server-base is kept (it holds the manager's secrets: mode 0600).
fs::path server_base_copy(const std::string& data_dir) { return fs::path(data_dir) / "manager-server-base.json"; }

// Blocking file I/O: at start-up, or on a worker.
void save_server_base(const std::string& data_dir, const Json& data) {
  const fs::path path = server_base_copy(data_dir);
  const fs::path tmp = path.string() + ".tmp";
  try {
    fs::create_directories(path.parent_path());
    const std::string text = data.dump(2, ' ', false, Json::error_handler_t::replace);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + tmp.string());
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n <= 0) {
        ::close(fd);
        throw std::runtime_error("cannot write " + tmp.string());
      }
      done += static_cast<std::size_t>(n);
    }
    ::fsync(fd);
    ::close(fd);
    fs::rename(tmp, path);
  } catch (const std::exception& e) {
    spdlog::warn("manager-api: the copy of server-base cannot be saved: {}", e.what());
  }
}

std::optional<Json> read_server_base(const std::string& data_dir) {
  std::ifstream in(server_base_copy(data_dir), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  Json j = Json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

// Compares secrets without an early exit, so timing does not tell how much matched.
bool same_secret(std::string_view given, std::string_view secret) {
  if (secret.empty() || given.size() != secret.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < secret.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ secret[i]);
  return diff == 0;
}

Json server_answer(const char* status, std::string message, const char* action) {
  Json j = {{"type", "server"}, {"status", status}, {"message", std::move(message)}};
  if (action) j["content"] = {{"action", action}};
  return j;
}

// Every retry the manager-api keys allow, plus a little.
Clock::duration retry_budget(const history::ManagerApiSettings& s) {
  const auto n = static_cast<long long>(std::max(0, s.max_retries));
  return s.timeout * (n + 1) + s.max_retry_delay * n + std::chrono::seconds(1);
}

}  // namespace

bool manager_mode_configured(const core::Config& cfg) {
  const std::string url = cfg.str("manager-api.url");
  const std::string secret = cfg.str("manager-api.secret");
  const bool http = url.starts_with("http://") || url.starts_with("https://");
  // The reference's placeholder secret reads "你的..."; it means "not set".
  return http && !secret.empty() && secret.find("你") == std::string::npos;
}

ServerBase fetch_server_base(agents::ManagerClient& client, const core::Json& local, const std::string& data_dir,
                             asio::any_io_executor ex) {
  const auto deadline = Clock::now() + retry_budget(client.settings());
  agents::ManagerEnvelope env =
      asio::co_spawn(ex, client.post("/config/server-base", std::nullopt, deadline), asio::use_future).get();
  std::string why = env.message;
  if (env.outcome == agents::ManagerOutcome::data && env.data.is_object()) {
    save_server_base(data_dir, env.data);
    spdlog::info("manager-api: server-base from {} merged over the local configuration", client.url(""));
    return {agents::merge_server_base(local, env.data), "manager-api"};
  }
  if (env.outcome == agents::ManagerOutcome::data) why = "the answer holds no configuration";
  if (auto saved = read_server_base(data_dir)) {
    spdlog::warn("manager-api: server-base failed ({}); serving on the copy saved at the last good answer ({})", why,
                 server_base_copy(data_dir).string());
    return {agents::merge_server_base(local, *saved), "the saved copy of server-base"};
  }
  spdlog::warn("manager-api: server-base failed ({}) and no copy is saved; serving on the local configuration alone",
               why);
  return {local, ""};
}

ManagerMode::ManagerMode(ManagerModeDeps deps) : d_(std::move(deps)) {}

pipeline::ProfilePtr ManagerMode::build_server_profile(agents::ProfileBuilder& builder, const core::Config& merged,
                                                       const pipeline::ProfilePtr& local_profile) {
  std::vector<std::string> warnings;
  auto profile = builder.build(merged, "manager-api server configuration", local_profile.get(), &warnings);
  for (const auto& w : warnings) spdlog::warn("manager-api: server-base: {}", w);
  return profile;
}

asio::awaitable<session::DeviceAgent> ManagerMode::resolve(session::DeviceIdentity who) {
  pipeline::ProfileResult r = co_await d_.source.resolve(std::move(who));
  session::DeviceAgent agent;
  if (r.bind) {
    agent.bind = std::move(r.bind);
    co_return agent;
  }
  pipeline::ProfilePtr profile = r.profile ? r.profile : d_.source.default_profile();
  agent.conversation = [voice = &d_.voice, profile](const session::ConversationContext& ctx) {
    return std::make_unique<pipeline::Conversation>(ctx, *voice, profile);
  };
  co_return agent;
}

asio::awaitable<Json> ManagerMode::perform(std::string action, std::string secret) {
  if (!same_secret(secret, d_.client.settings().secret)) {
    spdlog::warn("manager-api: server action '{}' with a wrong secret refused", action);
    co_return server_answer("error", "服务器密钥验证失败", nullptr);
  }
  if (action == "update_config") co_return co_await update_config();
  if (action == "restart") {
    if (!d_.restart) co_return server_answer("error", "restart is not available in this process", "restart");
    spdlog::info("manager-api: restart requested; restarting in 1 s");
    // After the answer has left, as the reference does.
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(
        ex,
        [restart = d_.restart]() -> asio::awaitable<void> {
          co_await core::sleep_for(std::chrono::seconds(1));
          restart();
        },
        asio::detached);
    co_return server_answer("success", "服务器重启中...", "restart");
  }
  spdlog::warn("manager-api: unknown server action '{}' ignored", action);
  co_return server_answer("error", "unknown action: " + action, nullptr);
}

asio::awaitable<Json> ManagerMode::update_config() {
  // The manager waits up to 120 s for the answer.
  const auto deadline = Clock::now() + std::chrono::seconds(100);
  agents::ManagerEnvelope env = co_await d_.client.post("/config/server-base", std::nullopt, deadline);
  std::string why;
  if (env.outcome != agents::ManagerOutcome::data)
    why = env.message;
  else if (!env.data.is_object())
    why = "no configuration in the answer";
  else
    why = co_await apply_server_base(std::move(env.data));
  if (!why.empty()) {
    spdlog::warn("manager-api: update_config: {}; the current configuration stays", why);
    co_return server_answer("error", "更新服务器配置失败: " + why, "update_config");
  }
  co_return server_answer("success", "配置更新成功", "update_config");
}

asio::awaitable<std::string> ManagerMode::apply_server_base(Json data) {
  auto& builder = d_.builder;
  auto local_profile = d_.local_profile;
  auto merged = std::make_shared<const core::Config>(agents::merge_server_base(d_.local_config, data));
  auto rebuild = [&builder, merged, local_profile, data = std::move(data), dir = d_.data_dir]() {
    save_server_base(dir, data);
    return build_server_profile(builder, *merged, local_profile);
  };
  pipeline::ProfilePtr profile;
  try {
    profile = co_await core::offload(d_.pool, std::move(rebuild));
  } catch (const std::exception& e) {
    co_return std::string("the new configuration cannot be built: ") + e.what();
  }
  d_.source.set_base(merged, std::move(profile));
  have_server_base_ = true;
  auto sessions = d_.registry.all();
  for (auto& s : sessions) s->config_changed();
  spdlog::info("manager-api: server-base applied; {} live session(s) resolve their agent again and use it from "
               "their next turn",
               sessions.size());
  co_return std::string();
}

void ManagerMode::keep_asking_for_server_base(std::shared_ptr<ManagerMode> self, asio::any_io_executor ex) {
  asio::co_spawn(ex, ask_until_answered(self), asio::detached);
}

// Holds the mode weakly: a frame left suspended at shutdown must not keep the server's
// agent (and its engines) alive past the parts they use.
asio::awaitable<void> ManagerMode::ask_until_answered(std::weak_ptr<ManagerMode> weak) {
  Clock::duration delay{};
  {
    auto self = weak.lock();
    if (!self) co_return;
    delay = std::max<Clock::duration>(self->d_.client.settings().retry_delay, std::chrono::seconds(1));
  }
  for (;;) {
    co_await core::sleep_for(delay);
    auto self = weak.lock();
    if (!self || self->have_server_base_) co_return;  // gone, or an update_config brought it meanwhile
    const auto& s = self->d_.client.settings();
    agents::ManagerEnvelope env =
        co_await self->d_.client.post("/config/server-base", std::nullopt, Clock::now() + s.timeout);
    if (env.outcome == agents::ManagerOutcome::data && env.data.is_object()) {
      const std::string why = co_await self->apply_server_base(std::move(env.data));
      if (why.empty()) {
        spdlog::info("manager-api: the manager answers again; its server-base now applies");
        co_return;
      }
      spdlog::warn("manager-api: server-base came but {}", why);
    }
    delay = std::min<Clock::duration>(delay * 2, std::max<Clock::duration>(s.max_retry_delay, delay));
  }
}

}  // namespace xz::apps
