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

const std::vector<std::string>& builtin_function_names() {
  static const std::vector<std::string> kNames = {
      "handle_exit_intent", "get_lunar",      "get_time",       "change_role",    "get_weather",
      "web_search",         "hass_get_state", "hass_set_state", "hass_play_music", "play_music"};
  return kNames;
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
  const auto& known = builtin_function_names();
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& item = (*list)[i];
    const std::string where = fmt::format("{}[{}]", list_path, i);
    if (!item.is_string()) {
      problems.push_back(where + ": expected a function name");
      continue;
    }
    const std::string name = item.get<std::string>();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string all;
      for (const auto& k : known) all += (all.empty() ? "" : ", ") + k;
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

  WallClock clock;
  clock.utc_offset_hours = deps.utc_offset_hours ? *deps.utc_offset_hours : cfg.get<double>("server.timezone_offset", 8);
  if (deps.now) clock.now = deps.now;
  const bool needs_http = std::any_of(names.begin(), names.end(), [](const std::string& n) {
    return n == "get_weather" || n == "web_search" || n.rfind("hass_", 0) == 0;
  });
  if (needs_http && !deps.http) deps.http = std::make_shared<net::HttpClient>();

  std::shared_ptr<HomeAssistant> ha;  // shared by the hass_* functions
  auto home_assistant = [&] {
    if (!ha) ha = std::make_shared<HomeAssistant>(HomeAssistantSettings::from(cfg, problems), deps.http);
    return ha;
  };

  std::vector<ToolPtr> tools;
  for (const auto& name : names) {
    PluginConfig pc(cfg, name, problems);
    if (name == "handle_exit_intent") tools.push_back(std::make_shared<HandleExitIntent>(pc.description("")));
    else if (name == "get_lunar") tools.push_back(std::make_shared<GetLunar>(clock, pc.description("")));
    else if (name == "get_time") tools.push_back(std::make_shared<GetTime>(clock, pc.description("")));
    else if (name == "change_role") tools.push_back(std::make_shared<ChangeRole>(ChangeRoleSettings::from(pc)));
    else if (name == "get_weather")
      tools.push_back(std::make_shared<GetWeather>(WeatherSettings::from(pc), deps.http));
    else if (name == "web_search")
      tools.push_back(std::make_shared<WebSearch>(WebSearchSettings::from(pc), deps.http));
    else if (name == "hass_get_state") tools.push_back(std::make_shared<HassGetState>(home_assistant(), pc.description("")));
    else if (name == "hass_set_state") tools.push_back(std::make_shared<HassSetState>(home_assistant(), pc.description("")));
    else if (name == "hass_play_music")
      tools.push_back(std::make_shared<HassPlayMusic>(home_assistant(), pc.description("")));
    else if (name == "play_music")
      tools.push_back(std::make_shared<PlayMusic>(PlayMusicSettings::from(pc), deps.pool));
  }
  if (!problems.empty()) throw core::ConfigError(std::move(problems));
  return tools;
}

}  // namespace xz::tools::builtin
