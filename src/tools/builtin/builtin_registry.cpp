#include "tools/builtin/builtin_registry.h"

#include <algorithm>

#include <fmt/format.h>

#include "tools/builtin/change_role.h"
#include "tools/builtin/get_lunar.h"
#include "tools/builtin/get_time.h"
#include "tools/builtin/get_weather.h"
#include "tools/builtin/handle_exit_intent.h"
#include "tools/builtin/hass_get_state.h"
#include "tools/builtin/hass_play_music.h"
#include "tools/builtin/hass_set_state.h"
#include "tools/builtin/play_music.h"
#include "tools/builtin/web_search.h"

namespace xz::tools::builtin {

namespace {

// What a function's constructor may need besides its own settings.
struct BuildContext {
  BuiltinDeps& deps;
  WallClock clock;
  std::vector<std::string>& problems;
  const core::Config& cfg;
  std::shared_ptr<HomeAssistant> ha;  // shared by the hass_* functions

  std::shared_ptr<net::HttpClient> http() {
    if (!deps.http) deps.http = std::make_shared<net::HttpClient>();
    return deps.http;
  }
  std::shared_ptr<HomeAssistant> home_assistant() {
    if (!ha) ha = std::make_shared<HomeAssistant>(HomeAssistantSettings::from(cfg, problems), http());
    return ha;
  }
};

struct Builtin {
  const char* name;
  ToolPtr (*build)(PluginConfig&, BuildContext&);
};

// Every function this server implements: the one list of their names.
const std::vector<Builtin>& builtins() {
  static const std::vector<Builtin> k = {
      {"handle_exit_intent",
       [](PluginConfig& pc, BuildContext&) -> ToolPtr { return std::make_shared<HandleExitIntent>(pc.description("")); }},
      {"get_lunar",
       [](PluginConfig& pc, BuildContext& b) -> ToolPtr { return std::make_shared<GetLunar>(b.clock, pc.description("")); }},
      {"get_time",
       [](PluginConfig& pc, BuildContext& b) -> ToolPtr { return std::make_shared<GetTime>(b.clock, pc.description("")); }},
      {"change_role",
       [](PluginConfig& pc, BuildContext&) -> ToolPtr { return std::make_shared<ChangeRole>(ChangeRoleSettings::from(pc)); }},
      {"get_weather",
       [](PluginConfig& pc, BuildContext& b) -> ToolPtr {
         return std::make_shared<GetWeather>(WeatherSettings::from(pc), b.http());
       }},
      {"web_search",
       [](PluginConfig& pc, BuildContext& b) -> ToolPtr {
         return std::make_shared<WebSearch>(WebSearchSettings::from(pc), b.http());
       }},
      {"hass_get_state",
       [](PluginConfig& pc, BuildContext& b) -> ToolPtr {
         return std::make_shared<HassGetState>(b.home_assistant(), pc.description(""));
       }},
      {"hass_set_state",
       [](PluginConfig& pc, BuildContext& b) -> ToolPtr {
         return std::make_shared<HassSetState>(b.home_assistant(), pc.description(""));
       }},
      {"hass_play_music",
       [](PluginConfig& pc, BuildContext& b) -> ToolPtr {
         return std::make_shared<HassPlayMusic>(b.home_assistant(), pc.description(""));
       }},
      {"play_music",
       [](PluginConfig& pc, BuildContext& b) -> ToolPtr {
         return std::make_shared<PlayMusic>(PlayMusicSettings::from(pc), b.deps.pool);
       }},
  };
  return k;
}

const Builtin* find_builtin(const std::string& name) {
  for (const auto& b : builtins())
    if (name == b.name) return &b;
  return nullptr;
}

}  // namespace

const std::vector<std::string>& builtin_function_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& b : builtins()) out.emplace_back(b.name);
    return out;
  }();
  return names;
}

namespace {

// The selected Intent entry's function names, with the always-on ones first.
std::vector<std::string> enabled_functions(const core::Config& cfg, std::vector<std::string>& problems) {
  std::vector<std::string> names = {"handle_exit_intent", "get_lunar", "get_time"};
  const std::string selected = cfg.str("selected_module.Intent", "function_call");
  const std::string list_path = fmt::format("Intent.{}.functions", selected);
  const nlohmann::json* list = cfg.find(list_path);
  if (!list || list->is_null()) return names;
  if (!list->is_array()) {
    problems.push_back(list_path + ": expected a list of function names");
    return names;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& item = (*list)[i];
    const std::string where = fmt::format("{}[{}]", list_path, i);
    if (!item.is_string()) {
      problems.push_back(where + ": expected a function name");
      continue;
    }
    const std::string name = item.get<std::string>();
    if (!find_builtin(name)) {
      std::string all;
      for (const auto& k : builtin_function_names()) all += (all.empty() ? "" : ", ") + k;
      problems.push_back(fmt::format("{}: unknown function '{}' (this server has: {})", where, name, all));
      continue;
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

}  // namespace

std::vector<ToolPtr> make_builtin_tools(const core::Config& cfg, BuiltinDeps deps) {
  std::vector<std::string> problems;
  const auto names = enabled_functions(cfg, problems);

  BuildContext ctx{deps, WallClock{}, problems, cfg, nullptr};
  ctx.clock.utc_offset_hours =
      deps.utc_offset_hours ? *deps.utc_offset_hours : cfg.get<double>("server.timezone_offset", 8);
  if (deps.now) ctx.clock.now = deps.now;

  std::vector<ToolPtr> tools;
  for (const auto& name : names) {
    PluginConfig pc(cfg, name, problems);
    tools.push_back(find_builtin(name)->build(pc, ctx));
  }
  if (!problems.empty()) throw core::ConfigError(std::move(problems));
  return tools;
}

}  // namespace xz::tools::builtin
