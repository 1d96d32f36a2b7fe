#include "tools/builtin/builtin_registry.h"

#include <algorithm>

#include <fmt/format.h>

#include "tools/builtin/call_device.h"
#include "tools/builtin/change_role.h"
#include "tools/builtin/dlna_play_music.h"
#include "tools/builtin/get_indian_news.h"
#include "tools/builtin/get_indian_news_api.h"
#include "tools/builtin/get_location.h"
#include "tools/builtin/get_lunar.h"
#include "tools/builtin/get_news_from_chinanews.h"
#include "tools/builtin/get_news_from_newsnow.h"
#include "tools/builtin/get_place_info.h"
#include "tools/builtin/get_time.h"
#include "tools/builtin/get_weather.h"
#include "tools/builtin/handle_exit_intent.h"
#include "tools/builtin/hass_get_state.h"
#include "tools/builtin/hass_play_music.h"
#include "tools/builtin/hass_set_state.h"
#include "tools/builtin/play_music.h"
#include "tools/builtin/play_story.h"
#include "tools/builtin/search_from_ragflow.h"
#include "tools/builtin/web_search.h"

namespace xz::tools::builtin {

namespace {

// What a function needs to be built.
struct BuildContext {
  const core::Config& cfg;
  BuiltinDeps& deps;
  const WallClock& clock;
  std::vector<std::string>& problems;
  std::function<std::shared_ptr<HomeAssistant>()> home_assistant;  // one client shared by the hass_* functions
};

struct FunctionEntry {
  const char* name;
  bool needs_http;
  ToolPtr (*make)(BuildContext& ctx, const PluginConfig& pc);
};

// The one list of the functions this server has, in a stable order: the names the
// configuration may select (Intent.<entry>.functions) are exactly these.
constexpr FunctionEntry kFunctions[] = {
    {"handle_exit_intent", false,
     [](BuildContext&, const PluginConfig& pc) -> ToolPtr { return std::make_shared<HandleExitIntent>(pc.description("")); }},
    {"get_lunar", false,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr { return std::make_shared<GetLunar>(c.clock, pc.description("")); }},
    {"get_time", false,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr { return std::make_shared<GetTime>(c.clock, pc.description("")); }},
    {"change_role", false,
     [](BuildContext&, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<ChangeRole>(ChangeRoleSettings::from(pc));
     }},
    {"get_weather", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<GetWeather>(WeatherSettings::from(pc), c.deps.http);
     }},
    {"web_search", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<WebSearch>(WebSearchSettings::from(pc), c.deps.http);
     }},
    {"hass_get_state", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<HassGetState>(c.home_assistant(), pc.description(""));
     }},
    {"hass_set_state", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<HassSetState>(c.home_assistant(), pc.description(""));
     }},
    {"hass_play_music", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<HassPlayMusic>(c.home_assistant(), pc.description(""));
     }},
    {"play_music", false,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<PlayMusic>(PlayMusicSettings::from(pc), c.deps.pool);
     }},
    {"play_story", false,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<PlayStory>(PlayStorySettings::from(pc), c.deps.pool);
     }},
    {"dlna_play_music", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<DlnaPlayMusic>(DlnaSettings::from(pc), c.deps.http);
     }},
    {"get_news_from_newsnow", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<GetNewsFromNewsnow>(NewsnowSettings::from(pc), c.deps.http);
     }},
    {"get_news_from_chinanews", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<GetNewsFromChinanews>(ChinanewsSettings::from(pc), c.deps.http);
     }},
    {"get_indian_news", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<GetIndianNews>(IndianNewsSettings::from(pc), c.deps.http);
     }},
    {"get_indian_news_api", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<GetIndianNewsApi>(IndianNewsApiSettings::from(pc), c.deps.http);
     }},
    {"search_from_ragflow", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<SearchFromRagflow>(RagflowSettings::from(pc), c.deps.http);
     }},
    {"get_location", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<GetLocation>(GetLocationSettings::from(pc, c.cfg), c.deps.http);
     }},
    {"get_place_info", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<GetPlaceInfo>(PlaceInfoSettings::from(pc), c.deps.http);
     }},
    {"call_device", true,
     [](BuildContext& c, const PluginConfig& pc) -> ToolPtr {
       return std::make_shared<CallDevice>(CallDeviceSettings::from(c.cfg, pc, c.problems), c.deps.http);
     }},
};

// The reference's configuration may name a plugin module instead of its function
// (module names are expanded to the functions they register).
struct ModuleAlias {
  const char* module;
  const char* function;
};
constexpr ModuleAlias kModuleAliases[] = {
    {"get_news_from_indian_sources", "get_indian_news"},
};

std::string_view function_of(std::string_view name) {
  for (const auto& a : kModuleAliases)
    if (name == a.module) return a.function;
  return name;
}

const FunctionEntry* find_function(std::string_view name) {
  for (const auto& f : kFunctions)
    if (name == f.name) return &f;
  return nullptr;
}

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
    const std::string name(function_of(item.get<std::string>()));
    if (!find_function(name)) {
      std::string all;
      for (const auto& f : kFunctions) all += (all.empty() ? "" : ", ") + std::string(f.name);
      problems.push_back(fmt::format("{}: unknown function '{}' (this server has: {})", where, name, all));
      continue;
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

}  // namespace

const std::vector<std::string>& builtin_function_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& f : kFunctions) names.emplace_back(f.name);
    for (const auto& a : kModuleAliases) names.emplace_back(a.module);
    return names;
  }();
  return kNames;
}

std::vector<ToolPtr> make_builtin_tools(const core::Config& cfg, BuiltinDeps deps) {
  std::vector<std::string> problems;
  const auto names = enabled_functions(cfg, problems);

  WallClock clock;
  clock.utc_offset_hours = deps.utc_offset_hours ? *deps.utc_offset_hours : cfg.get<double>("server.timezone_offset", 8);
  if (deps.now) clock.now = deps.now;
  const bool needs_http = std::any_of(names.begin(), names.end(), [](const std::string& n) {
    const auto* f = find_function(n);
    return f && f->needs_http;
  });
  if (needs_http && !deps.http) deps.http = std::make_shared<net::HttpClient>();

  std::shared_ptr<HomeAssistant> ha;
  BuildContext ctx{cfg, deps, clock, problems, [&] {
                     if (!ha) ha = std::make_shared<HomeAssistant>(HomeAssistantSettings::from(cfg, problems), deps.http);
                     return ha;
                   }};
  std::vector<ToolPtr> tools;
  for (const auto& name : names) {
    PluginConfig pc(cfg, name, problems);
    tools.push_back(find_function(name)->make(ctx, pc));
  }
  if (!problems.empty()) throw core::ConfigError(std::move(problems));
  return tools;
}

}  // namespace xz::tools::builtin
