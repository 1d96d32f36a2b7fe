#include "agents/manager_profile_source.h"

#include <algorithm>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include "pipeline/context_providers.h"
#include "tools/builtin/builtin_registry.h"

namespace xz::agents {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

namespace {

// A 10042's msg is the code the device says; anything else is not spoken as one.
bool plausible_code(const std::string& s) {
  return !s.empty() && s.size() <= 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

ManagerProfileSource::ManagerProfileSource(ManagerClient& client, ProfileBuilder& builder,
                                           asio::thread_pool& pool, ManagerSourceOptions options)
    : client_(client),
      builder_(builder),
      pool_(pool),
      options_(std::move(options)),
      slots_(pool.get_executor(), std::max<std::size_t>(1, options_.max_concurrent)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.max_concurrent); ++i)
    slots_.try_send(boost::system::error_code{}, 1);
}

void ManagerProfileSource::set_base(std::shared_ptr<const core::Config> config, pipeline::ProfilePtr profile) {
  std::lock_guard lk(mu_);
  base_ = std::move(config);
  default_ = std::move(profile);
  generation_.fetch_add(1);
}

std::shared_ptr<const core::Config> ManagerProfileSource::base() const {
  std::lock_guard lk(mu_);
  return base_;
}

pipeline::ProfilePtr ManagerProfileSource::default_profile() const {
  std::lock_guard lk(mu_);
  return default_;
}

void ManagerProfileSource::sweep_idle(Clock::time_point now) {
  // Idle: only this map holds it. Those idle past keep_idle go, and the oldest idle
  // ones while more than max_idle_profiles are kept.
  std::vector<std::pair<Clock::time_point, std::string>> idle;
  for (auto it = profiles_.begin(); it != profiles_.end();) {
    if (it->second.profile.use_count() > 1) {
      ++it;
      continue;
    }
    if (now - it->second.used >= options_.keep_idle) {
      it = profiles_.erase(it);
      continue;
    }
    idle.emplace_back(it->second.used, it->first);
    ++it;
  }
  if (idle.size() <= options_.max_idle_profiles) return;
  std::sort(idle.begin(), idle.end());
  for (std::size_t i = 0; i + options_.max_idle_profiles < idle.size(); ++i) profiles_.erase(idle[i].second);
}

void ManagerProfileSource::remember(const std::string& device, Answer answer) {
  if (options_.remember_devices == 0) return;
  std::lock_guard lk(mu_);
  auto [it, inserted] = last_good_.insert_or_assign(device, std::move(answer));
  (void)it;
  if (inserted) last_good_order_.push_back(device);
  while (last_good_.size() > options_.remember_devices && !last_good_order_.empty()) {
    last_good_.erase(last_good_order_.front());
    last_good_order_.pop_front();
  }
}

std::optional<ManagerProfileSource::Answer> ManagerProfileSource::last_good(const std::string& device) {
  std::lock_guard lk(mu_);
  auto it = last_good_.find(device);
  if (it == last_good_.end()) return std::nullopt;
  return it->second;
}

asio::awaitable<pipeline::ProfilePtr> ManagerProfileSource::profile_for(const Answer& answer, const std::string& device,
                                                                        std::shared_ptr<const core::Config> base,
                                                                        pipeline::ProfilePtr fallback,
                                                                        std::uint64_t generation) {
  std::string key = std::to_string(generation) + "|" + answer.agent.dump(-1, ' ', false, Json::error_handler_t::replace);
  for (const auto& w : answer.words) key += "|" + w;
  {
    std::lock_guard lk(mu_);
    if (auto it = profiles_.find(key); it != profiles_.end()) {
      it->second.used = Clock::now();
      co_return it->second.profile;
    }
  }
  // Merging and building (engines may load models) happen on a worker.
  auto build = [&]() -> pipeline::ProfilePtr {
    std::vector<std::string> warnings;
    pipeline::ProfilePtr made;
    try {
      core::Config cfg(agent_config(base->root(), answer.agent, answer.words,
                                    tools::builtin::builtin_function_names(), &warnings));
      auto p = builder_.build(cfg, "manager-api agent", fallback.get(), &warnings);
      if (auto conf = chat_history_conf(answer.agent)) p->chat_reports = static_cast<pipeline::ChatReports>(*conf);
      p->manager_summary = manager_summarises(cfg.root());
      // The manager keeps the memory of mem_local_short agents: its summary (or none yet).
      if (p->manager_summary) p->summary_memory = summary_memory(answer.agent).value_or("");
      // The agent's context providers replace the configured ones in its devices' prompts
      // (an empty list: none); a bad entry costs that entry.
      if (const Json* list = answer.agent.is_object() ? cfg.find("context_providers") : nullptr;
          list && answer.agent.contains("context_providers") && !answer.agent["context_providers"].is_null()) {
        std::vector<std::string> problems;
        p->context_providers = pipeline::context_providers_from_json(*list, problems);
        for (auto& w : problems) warnings.push_back(std::move(w));
      }
      made = std::move(p);
    } catch (const std::exception& e) {
      warnings.push_back(std::string("the agent cannot be built (") + e.what() + "); the server's default is used");
      made = fallback;
    }
    for (const auto& w : warnings) spdlog::warn("[dev={}] manager agent: {}", device, w);
    return made;
  };
  pipeline::ProfilePtr p = co_await core::offload(pool_, build);
  if (p == fallback) co_return p;
  std::lock_guard lk(mu_);
  const auto now = Clock::now();
  sweep_idle(now);
  profiles_[key] = Kept{p, now};
  co_return p;
}

asio::awaitable<pipeline::ProfileResult> ManagerProfileSource::resolve(session::DeviceIdentity who) {
  std::shared_ptr<const core::Config> base;
  pipeline::ProfilePtr fallback;
  std::uint64_t generation = 0;
  {
    std::lock_guard lk(mu_);
    base = base_;
    fallback = default_;
    generation = generation_.load();
  }
  const std::string device = who.device_id;
  const auto started = Clock::now();
  const auto deadline = started + options_.connect_deadline;

  auto fall_back = [&](const std::string& why) -> asio::awaitable<pipeline::ProfileResult> {
    if (auto answer = last_good(device)) {
      spdlog::warn("[dev={}] manager-api: no agent ({}); the device keeps its last good agent", device, why);
      pipeline::ProfilePtr kept = co_await profile_for(*answer, device, base, fallback, generation);
      co_return pipeline::ProfileResult{std::move(kept), std::nullopt};
    }
    spdlog::warn("[dev={}] manager-api: no agent ({}); the device gets the server's default agent", device, why);
    co_return pipeline::ProfileResult{fallback, std::nullopt};
  };

  // A slot among max_concurrent, released however this ends.
  auto slot = co_await core::with_timeout(core::receive(slots_), options_.connect_deadline);
  if (!slot || !*slot) co_return co_await fall_back("too many agent requests waiting");
  struct Release {
    core::ConcurrentChannel<int>& slots;
    ~Release() { slots.try_send(boost::system::error_code{}, 1); }
  } release{slots_};

  const Json selected = base && base->find("selected_module") ? *base->find("selected_module") : Json::object();
  Json models_body = {{"macAddress", device},
                      {"clientId", who.client_id.empty() ? device : who.client_id},
                      {"selectedModule", selected}};
  Json words_body = {{"macAddress", device}};
  // Asked together, as the reference does; correct-words failing only costs the words.
  auto ask_models = client_.post("/config/agent-models", std::move(models_body), deadline);
  auto ask_words = client_.post("/config/correct-words", std::move(words_body), deadline);
  auto [models, words] = co_await (std::move(ask_models) && std::move(ask_words));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();

  switch (models.outcome) {
    case ManagerOutcome::data: {
      Answer answer{std::move(models.data), words.outcome == ManagerOutcome::data ? correct_words(words.data)
                                                                                   : std::vector<std::string>{}};
      if (words.outcome == ManagerOutcome::error)
        spdlog::warn("[dev={}] manager-api: correct-words failed ({}); no replacement words from the agent", device,
                     words.message);
      remember(device, answer);
      auto profile = co_await profile_for(answer, device, base, fallback, generation);
      spdlog::info("[dev={}] manager-api: agent in {} ms", device, ms);
      co_return pipeline::ProfileResult{std::move(profile), std::nullopt};
    }
    case ManagerOutcome::device_not_found:
      spdlog::info("[dev={}] manager-api: device not found (10041): it is told so, no conversation", device);
      co_return pipeline::ProfileResult{nullptr, session::ActivationPrompt{"", options_.not_found_message}};
    case ManagerOutcome::bind_device: {
      if (!plausible_code(models.message)) {
        spdlog::warn("[dev={}] manager-api: bind code '{}' (10042) is not digits; it is told it is not bound", device,
                     models.message);
        co_return pipeline::ProfileResult{nullptr, session::ActivationPrompt{"", options_.not_found_message}};
      }
      spdlog::info("[dev={}] manager-api: not bound (10042): it hears and sees its code {}", device, models.message);
      co_return pipeline::ProfileResult{nullptr, session::ActivationPrompt{models.message, options_.bind_message}};
    }
    case ManagerOutcome::error:
      break;
  }
  co_return co_await fall_back(models.message + ", after " + std::to_string(ms) + " ms");
}

}  // namespace xz::agents
