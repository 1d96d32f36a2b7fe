#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/config_schema.h"
#include "memory/local_short_memory.h"
#include "memory/mem0_memory.h"
#include "memory/memory.h"
#include "providers/registry.h"

namespace xz::memory {

namespace {

using providers::EngineConfigError;

// nomem and mem_report_only: nothing is remembered (chat history is separate).
class NoMemory : public Memory {
 public:
  boost::asio::awaitable<std::string> recall(std::string) override { co_return std::string(); }
  void remember(std::string, std::vector<providers::ChatMessage>) override {}
  boost::asio::awaitable<void> drain(std::chrono::steady_clock::time_point) override { co_return; }
};

double number_at(const nlohmann::json& entry, const std::string& path, const char* key, double fallback, double min,
                 double max) {
  auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) return fallback;
  double v = 0;
  if (it->is_number()) {
    v = it->get<double>();
  } else if (it->is_string()) {
    // Values from ${ENV} expansion arrive as text.
    try {
      std::size_t used = 0;
      v = std::stod(it->get<std::string>(), &used);
      if (used != it->get<std::string>().size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw EngineConfigError(path + "." + key + ": expected a number, got " + it->dump());
    }
  } else {
    throw EngineConfigError(path + "." + key + ": expected a number, got " + it->dump());
  }
  if (!std::isfinite(v) || v < min || v > max)
    throw EngineConfigError(path + "." + key + ": expected a number from " + fmt::format("{}", min) + " to " +
                            fmt::format("{}", max) + ", got " + it->dump());
  return v;
}

}  // namespace

std::string powermem_reason() {
  return "the reference runs PowerMem as a Python library inside its own process (the entry's llm, embedder and "
         "vector_store keys configure that library), which this C++ server cannot load; select mem0ai (the mem0 "
         "platform), mem_local_short (a summary per device, written by an LLM) or nomem instead";
}

LocalShortSettings LocalShortSettings::from_entry(const nlohmann::json& entry, const std::string& path) {
  LocalShortSettings s;
  if (!entry.is_object()) return s;
  s.max_chars = static_cast<std::size_t>(number_at(entry, path, "max_chars", 1500, 50, 100000));
  s.max_tokens = static_cast<int>(number_at(entry, path, "max_tokens", 2000, 16, 1000000));
  s.temperature = number_at(entry, path, "temperature", 0.2, 0, 2);
  s.timeout = std::chrono::milliseconds(static_cast<long long>(number_at(entry, path, "timeout", 60, 1, 86400) * 1000));
  s.queue_size = static_cast<std::size_t>(number_at(entry, path, "queue_size", 100, 1, 1000000));
  s.concurrency = static_cast<std::size_t>(number_at(entry, path, "concurrency", 2, 1, 64));
  s.max_dialogue_chars = static_cast<std::size_t>(number_at(entry, path, "max_dialogue_chars", 16000, 500, 10000000));
  return s;
}

const std::set<std::string>& memory_types() {
  static const std::set<std::string> types = {"nomem", "mem_report_only", "mem_local_short", "mem0ai"};
  return types;
}

std::unique_ptr<Memory> make_memory(const core::Config& cfg, store::Store& store, providers::LlmEngine& main_llm,
                                    providers::ProviderContext& ctx, boost::asio::any_io_executor ex,
                                    core::Metrics* metrics) {
  const std::string name = cfg.str("selected_module.Memory");
  const std::string type = core::selected_provider_type(cfg.root(), "Memory");
  if (type.empty() || type == "nomem" || type == "mem_report_only") return std::make_unique<NoMemory>();
  const std::string path = "Memory." + name;
  nlohmann::json entry = nlohmann::json::object();
  if (const auto* e = cfg.find("Memory"); e && e->is_object() && e->contains(name)) entry = (*e)[name];
  if (type == "mem0ai") {
    auto settings = Mem0Settings::from_entry(entry, path);
    spdlog::info("memory: mem0ai at {} (searched before each answer, sessions added when they end)", settings.base_url);
    return std::make_unique<Mem0Memory>(std::move(settings), std::move(ex), metrics);
  }
  if (type == "powermem") throw EngineConfigError(path + ".type: 'powermem' cannot be used: " + powermem_reason());
  if (type != "mem_local_short") {
    std::string list;
    for (const auto& t : memory_types()) list += (list.empty() ? "" : ", ") + t;
    throw EngineConfigError(path + ".type: '" + type + "' is not supported by this server (supported: " + list + ")");
  }

  auto settings = LocalShortSettings::from_entry(entry, path);

  std::unique_ptr<providers::LlmEngine> own;
  std::string llm_name;
  if (auto it = entry.find("llm"); it != entry.end() && !it->is_null()) {
    if (!it->is_string()) throw EngineConfigError(path + ".llm: expected the name of an LLM entry, got " + it->dump());
    llm_name = it->get<std::string>();
  }
  // The reference names the main LLM here by default; building it twice is wasteful.
  if (!llm_name.empty() && llm_name != cfg.str("selected_module.LLM")) {
    const auto* llms = cfg.find("LLM");
    if (!llms || !llms->is_object() || !llms->contains(llm_name))
      throw EngineConfigError(path + ".llm: '" + llm_name + "' is not an entry of the LLM section");
    own = providers::make_llm_entry(cfg, llm_name, ctx);
  }
  auto& engine = own ? *own : main_llm;
  spdlog::info("memory: mem_local_short with LLM {} (at most {} characters per device)",
               own ? llm_name : cfg.str("selected_module.LLM", "(main)"), settings.max_chars);
  return std::make_unique<LocalShortMemory>(settings, store, engine, std::move(own), std::move(ex), metrics);
}

}  // namespace xz::memory
