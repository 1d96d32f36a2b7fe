#include "agents/profile_builder.h"

#include <fmt/format.h>

#include "core/config_schema.h"
#include "memory/memory.h"
#include "net/http_client.h"
#include "net/tls_client.h"
#include "providers/registry.h"
#include "tools/builtin/builtin_registry.h"
#include "tools/mcp/mcp_endpoint_client.h"

namespace xz::agents {

namespace {

using Json = nlohmann::json;

// The entry a kind selects, with its `type` made explicit (the reference's rule: the
// entry's type, else its name), so the key says what is built, whatever the entry is called.
Json selected_entry(const core::Config& cfg, const std::string& kind) {
  const std::string name = cfg.str("selected_module." + kind);
  if (name.empty()) return nullptr;
  const Json* node = cfg.find(kind + "." + name);
  Json entry = node && node->is_object() ? *node : Json::object();
  if (!entry.contains("type") || !entry["type"].is_string()) entry["type"] = name;
  return entry;
}

Json llm_entry(const core::Config& cfg, const std::string& name) {
  const Json* llms = cfg.find("LLM");
  Json entry = llms && llms->is_object() && llms->contains(name) && (*llms)[name].is_object() ? (*llms)[name]
                                                                                              : Json::object();
  if (!entry.contains("type") || !entry["type"].is_string()) entry["type"] = name;
  return entry;
}

template <class T>
std::shared_ptr<T> shared(std::unique_ptr<T> p) {
  return std::shared_ptr<T>(std::move(p));
}

// An object that keeps what it was built on alive (a memory its LLM, a greeting cache
// its TTS), handed out as a pointer to the object alone.
template <class T, class Dep>
std::shared_ptr<T> holding(std::shared_ptr<Dep> dep, std::unique_ptr<T> obj) {
  struct Holder {
    std::shared_ptr<Dep> dep;
    std::unique_ptr<T> obj;
  };
  auto h = std::make_shared<Holder>(Holder{std::move(dep), std::move(obj)});
  T* raw = h->obj.get();
  return std::shared_ptr<T>(std::move(h), raw);
}

}  // namespace

ProfileBuilder::ProfileBuilder(ProfileBuildResources r, EngineCache& cache) : r_(std::move(r)), cache_(cache) {}

std::shared_ptr<boost::asio::ssl::context> ProfileBuilder::endpoint_tls() {
  std::lock_guard lk(mu_);
  // Made once: each one reads the CA bundle (~25 ms).
  if (!endpoint_tls_)
    endpoint_tls_ = std::make_shared<boost::asio::ssl::context>(net::make_tls_client_context({}, {}, true));
  return endpoint_tls_;
}

std::shared_ptr<pipeline::VoiceProfile> ProfileBuilder::build(const core::Config& cfg, std::string origin,
                                                              const pipeline::VoiceProfile* fallback,
                                                              std::vector<std::string>* warnings) {
  auto p = std::make_shared<pipeline::VoiceProfile>();
  p->origin = std::move(origin);
  std::vector<std::string> problems;
  // Runs one part; on failure records why and, with a fallback, takes that part from it.
  auto attempt = [&](const char* what, auto&& build, auto&& from_fallback) {
    const std::size_t before = problems.size();
    try {
      build();
    } catch (const core::ConfigError& e) {
      problems.insert(problems.end(), e.problems().begin(), e.problems().end());
    } catch (const providers::EngineConfigError& e) {
      problems.emplace_back(e.what());
    } catch (const std::exception& e) {
      problems.push_back(fmt::format("{}: {}", what, e.what()));
    }
    if (problems.size() == before || !fallback) return;
    from_fallback();
    if (warnings)
      for (std::size_t i = before; i < problems.size(); ++i)
        warnings->push_back(fmt::format("{} (this device uses the {} of the {} instead)", problems[i], what,
                                        fallback->origin));
    problems.resize(before);
  };
  auto& ctx = r_.ctx;

  std::string llm_key;
  attempt(
      "VAD",
      [&] {
        p->vad = cache_.get<providers::VadEngine>(engine_key("VAD", selected_entry(cfg, "VAD")),
                                                  [&] { return shared(providers::make_vad(cfg, ctx)); });
      },
      [&] { p->vad = fallback->vad; });
  attempt(
      "ASR",
      [&] {
        p->asr = cache_.get<providers::AsrEngine>(engine_key("ASR", selected_entry(cfg, "ASR")),
                                                  [&] { return shared(providers::make_asr(cfg, ctx)); });
      },
      [&] { p->asr = fallback->asr; });
  attempt(
      "LLM",
      [&] {
        const std::string key = engine_key("LLM", selected_entry(cfg, "LLM"));
        p->llm = cache_.get<providers::LlmEngine>(key, [&] { return shared(providers::make_llm(cfg, ctx)); });
        llm_key = key;
      },
      [&] { p->llm = fallback->llm; });
  attempt(
      "settings",
      [&] {
        p->settings =
            std::make_shared<const pipeline::ConversationSettings>(pipeline::ConversationSettings::from_config(cfg));
      },
      [&] { p->settings = fallback->settings; });
  attempt(
      "TTS",
      [&] {
        const std::string key = engine_key("TTS", selected_entry(cfg, "TTS"));
        auto tts = cache_.get<providers::TtsEngine>(key, [&] { return shared(providers::make_tts(cfg, ctx)); });
        // One greeting cache per TTS engine, downlink format and wake-word replies: speech
        // made once.
        const pipeline::DownlinkFormat fmt = p->settings ? p->settings->downlink : pipeline::DownlinkFormat{};
        const pipeline::WakeReplySettings wake = p->settings ? p->settings->wake_reply : pipeline::WakeReplySettings{};
        const Json wake_key = {{"first", wake.first_reply},
                               {"lines", wake.lines},
                               {"refresh_ms", wake.refresh_after.count()},
                               {"voices", wake.max_voices}};
        const std::string greet_key =
            fmt::format("Greetings|{}|{}|{}|{}|{}|{}", fmt.sample_rate, fmt.frame_ms, fmt.bitrate, fmt.complexity,
                        wake_key.dump(-1, ' ', false, Json::error_handler_t::replace), key);
        p->greetings = cache_.get<pipeline::GreetingCache>(greet_key, [&] {
          return holding(tts, std::make_unique<pipeline::GreetingCache>(*tts, ctx.pool, fmt, wake));
        });
        p->tts = std::move(tts);
      },
      [&] {
        p->tts = fallback->tts;
        p->greetings = fallback->greetings;
      });
  attempt(
      "VLLM",
      [&] {
        const Json entry = selected_entry(cfg, "VLLM");
        if (entry.is_null()) return;
        p->vllm = cache_.get<providers::VllmEngine>(engine_key("VLLM", entry),
                                                    [&] { return shared(providers::make_vllm(cfg, ctx)); });
      },
      [&] { p->vllm = fallback->vllm; });
  attempt(
      "intent LLM",
      [&] {
        if (core::selected_provider_type(cfg.root(), "Intent") != "intent_llm") return;
        const std::string entry = cfg.str("selected_module.Intent");
        const std::string name = cfg.str("Intent." + entry + ".llm");
        if (name.empty() || name == cfg.str("selected_module.LLM")) return;
        p->intent_llm = cache_.get<providers::LlmEngine>(
            engine_key("LLM", llm_entry(cfg, name)), [&] { return shared(providers::make_llm_entry(cfg, name, ctx)); });
      },
      [&] { p->intent_llm = fallback->intent_llm; });
  attempt(
      "Memory",
      [&] {
        if (!p->llm) return;
        if (llm_key.empty()) {  // the LLM came from the fallback: so does its memory
          p->memory = fallback ? fallback->memory : nullptr;
          return;
        }
        Json key = {{"entry", selected_entry(cfg, "Memory")}, {"main_llm", llm_key}};
        if (const std::string name = key["entry"].is_object() ? key["entry"].value("llm", "") : "";
            !name.empty() && name != cfg.str("selected_module.LLM"))
          key["own_llm"] = llm_entry(cfg, name);
        auto llm = p->llm;
        p->memory = cache_.get<memory::Memory>(engine_key("Memory", key), [&] {
          return holding(llm, memory::make_memory(cfg, r_.store, *llm, ctx, r_.executor, r_.metrics));
        });
        std::lock_guard lk(mu_);
        std::erase_if(memories_, [](const auto& w) { return w.expired(); });
        bool known = false;
        for (const auto& w : memories_) known = known || w.lock() == p->memory;
        if (!known) memories_.push_back(p->memory);
      },
      [&] { p->memory = fallback->memory; });
  attempt(
      "functions",
      [&] {
        if (core::selected_provider_type(cfg.root(), "Intent") == "nointent") return;
        // What the functions read: their list, their plugins' settings, the manager for
        // call_device, the clock's offset and the language.
        const std::string intent = cfg.str("selected_module.Intent");
        auto at = [&](std::string_view path) {
          const Json* j = cfg.find(path);
          return j ? *j : Json();
        };
        Json key = {{"intent", at("Intent." + intent)},
                    {"plugins", at("plugins")},
                    {"manager", at("manager-api")},
                    {"utc", at("server.timezone_offset")},
                    {"language", at("language")}};
        p->builtin_tools = cache_.get<const std::vector<tools::ToolPtr>>(engine_key("Functions", key), [&] {
          return tools::share_tools(tools::builtin::make_builtin_tools(cfg, {ctx.pool, r_.http}));
        });
      },
      [&] { p->builtin_tools = fallback->builtin_tools; });
  attempt(
      "mcp_endpoint",
      [&] {
        p->mcp_endpoint_url = tools::mcp::mcp_endpoint_call_url(cfg.str("mcp_endpoint")).value_or("");
        if (p->mcp_endpoint_url.starts_with("wss://")) p->mcp_endpoint_tls = endpoint_tls();
      },
      [&] {
        p->mcp_endpoint_url = fallback->mcp_endpoint_url;
        p->mcp_endpoint_tls = fallback->mcp_endpoint_tls;
      });
  if (!problems.empty()) throw core::ConfigError(std::move(problems));
  return p;
}

std::vector<std::shared_ptr<memory::Memory>> ProfileBuilder::live_memories() {
  std::lock_guard lk(mu_);
  std::vector<std::shared_ptr<memory::Memory>> out;
  for (const auto& w : memories_)
    if (auto m = w.lock()) out.push_back(std::move(m));
  return out;
}

}  // namespace xz::agents
