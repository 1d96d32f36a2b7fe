#include "tools/builtin/builtin_registry.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "builtin_test_util.h"

using namespace xz::tools::builtin;
using nlohmann::json;

namespace {

xz::core::Config config_with(const std::vector<std::pair<std::string, json>>& values) {
  json root = json::object();
  xz::core::set_path(root, "selected_module.Intent", "function_call");
  xz::core::set_path(root, "Intent.function_call.type", "function_call");
  for (const auto& [k, v] : values) xz::core::set_path(root, k, v);
  return xz::core::Config(root);
}

std::vector<std::string> names_of(const std::vector<xz::tools::ToolPtr>& tools) {
  std::vector<std::string> out;
  for (const auto& t : tools) out.push_back(t->schema().name);
  return out;
}

std::vector<std::string> problems_of(const xz::core::Config& cfg, xz::test::ToolLoop& loop) {
  try {
    make_builtin_tools(cfg, {loop.pool(), nullptr});
  } catch (const xz::core::ConfigError& e) {
    return e.problems();
  }
  return {};
}

}  // namespace

TEST(BuiltinRegistry, AlwaysOnFunctionsWithoutAList) {
  xz::test::ToolLoop loop;
  auto tools = make_builtin_tools(config_with({}), {loop.pool(), nullptr});
  EXPECT_EQ(names_of(tools), (std::vector<std::string>{"handle_exit_intent", "get_lunar", "get_time"}));
}

TEST(BuiltinRegistry, SelectedIntentListsTheRest) {
  xz::test::ToolLoop loop;
  auto cfg = config_with({{"Intent.function_call.functions", {"change_role", "get_weather", "play_music", "get_time"}},
                          {"Intent.other.functions", {"web_search"}},
                          {"plugins.get_weather.description", "Weather, reworded."}});
  auto tools = make_builtin_tools(cfg, {loop.pool(), nullptr});
  EXPECT_EQ(names_of(tools), (std::vector<std::string>{"handle_exit_intent", "get_lunar", "get_time", "change_role",
                                                       "get_weather", "play_music"}));
  EXPECT_EQ(tools[4]->schema().description, "Weather, reworded.");
  for (const auto& t : tools) {
    EXPECT_FALSE(t->schema().description.empty()) << t->schema().name;
    EXPECT_EQ(t->schema().parameters["type"], "object") << t->schema().name;
  }
}

TEST(BuiltinRegistry, TimeZoneComesFromTheServerConfig) {
  xz::test::ToolLoop loop;
  auto cfg = config_with({{"server.timezone_offset", -5}});
  BuiltinDeps deps{loop.pool(), nullptr};
  deps.now = [] { return std::chrono::system_clock::time_point(std::chrono::hours(24 * 19000 + 3)); };  // 03:00 UTC
  auto tools = make_builtin_tools(cfg, deps);
  xz::test::FakeSession session(loop.loop().get_executor());
  auto r = xz::test::call_tool(loop, *tools[2], json::object(), session);
  EXPECT_NE(r.result.find("22:00:00"), std::string::npos) << r.result;
  EXPECT_NE(r.result.find("UTC-05:00"), std::string::npos);
}

TEST(BuiltinRegistry, UnknownNamesAndBadSettingsAreConfigErrors) {
  xz::test::ToolLoop loop;
  auto problems = problems_of(config_with({{"Intent.function_call.functions",
                                            {"get_weather", "get_news_from_sina", 7, "hass_get_state"}},
                                           {"plugins.get_weather.timeout", "soon"}}),
                              loop);
  ASSERT_EQ(problems.size(), 5u) << ::testing::PrintToString(problems);
  EXPECT_EQ(problems[0].rfind("Intent.function_call.functions[1]: unknown function 'get_news_from_sina'", 0), 0u)
      << problems[0];
  EXPECT_EQ(problems[1].rfind("Intent.function_call.functions[2]:", 0), 0u);
  EXPECT_EQ(problems[2].rfind("plugins.get_weather.timeout:", 0), 0u) << problems[2];
  EXPECT_EQ(problems[3].rfind("plugins.home_assistant.base_url:", 0), 0u) << problems[3];
  EXPECT_EQ(problems[4].rfind("plugins.home_assistant.api_key:", 0), 0u) << problems[4];

  auto not_a_list = problems_of(config_with({{"Intent.function_call.functions", "get_weather"}}), loop);
  ASSERT_EQ(not_a_list.size(), 1u);
  EXPECT_EQ(not_a_list[0], "Intent.function_call.functions: expected a list of function names");
}

TEST(BuiltinRegistry, HomeAssistantFunctionsShareOneClient) {
  xz::test::ToolLoop loop;
  auto cfg = config_with({{"Intent.function_call.functions", {"hass_get_state", "hass_set_state", "hass_play_music"}},
                          {"plugins.home_assistant.base_url", "http://ha.local:8123"},
                          {"plugins.home_assistant.api_key", "token"},
                          {"plugins.home_assistant.devices", {"Kitchen,Light,light.kitchen"}}});
  auto tools = make_builtin_tools(cfg, {loop.pool(), nullptr});
  ASSERT_EQ(tools.size(), 6u);
  EXPECT_NE(tools[3]->schema().description.find("light.kitchen"), std::string::npos);
}

TEST(BuiltinRegistry, TheReferencesFunctionsAreKnown) {
  const auto& names = builtin_function_names();
  for (const char* name : {"handle_exit_intent", "get_lunar", "get_time", "change_role", "get_weather", "web_search",
                           "play_music", "get_news_from_newsnow", "get_news_from_chinanews", "search_from_ragflow",
                           "call_device", "hass_get_state", "hass_set_state", "hass_play_music"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

TEST(BuiltinRegistry, TheReferencesDefaultFunctionListLoads) {
  // The reference config's function_call list and plugin settings, as a user copies them.
  xz::test::ToolLoop loop;
  auto cfg = config_with({{"Intent.function_call.functions",
                           {"change_role", "web_search", "get_weather", "get_news_from_newsnow", "play_music",
                            "get_news_from_chinanews"}},
                          {"plugins.web_search", {{"provider", "metaso"}, {"api_key", ""}, {"max_results", 5}}},
                          {"plugins.get_news_from_newsnow",
                           {{"url", "https://newsnow.busiyi.world/api/s?id="}, {"news_sources", "澎湃新闻;百度热搜;财联社"}}},
                          {"plugins.get_news_from_chinanews",
                           {{"default_rss_url", "https://www.chinanews.com.cn/rss/society.xml"},
                            {"society_rss_url", "https://www.chinanews.com.cn/rss/society.xml"},
                            {"world_rss_url", "https://www.chinanews.com.cn/rss/world.xml"},
                            {"finance_rss_url", "https://www.chinanews.com.cn/rss/finance.xml"}}},
                          {"plugins.play_music.music_dir", "./music"}});
  auto tools = make_builtin_tools(cfg, {loop.pool(), nullptr});
  EXPECT_EQ(names_of(tools),
            (std::vector<std::string>{"handle_exit_intent", "get_lunar", "get_time", "change_role", "web_search",
                                      "get_weather", "get_news_from_newsnow", "play_music", "get_news_from_chinanews"}));
}

TEST(BuiltinRegistry, RagflowNeedsItsSettings) {
  xz::test::ToolLoop loop;
  auto problems = problems_of(config_with({{"Intent.function_call.functions", {"search_from_ragflow"}}}), loop);
  ASSERT_EQ(problems.size(), 3u) << ::testing::PrintToString(problems);
  EXPECT_EQ(problems[0].rfind("plugins.search_from_ragflow.base_url:", 0), 0u);
  auto tools = make_builtin_tools(config_with({{"Intent.function_call.functions", {"search_from_ragflow"}},
                                               {"plugins.search_from_ragflow",
                                                {{"base_url", "http://rag.local"},
                                                 {"api_key", "ragflow-x"},
                                                 {"dataset_ids", {"d1"}},
                                                 {"description", "公司产品手册"}}}}),
                                  {loop.pool(), nullptr});
  ASSERT_EQ(tools.size(), 4u);
  EXPECT_EQ(tools[3]->schema().description, "公司产品手册");
}

TEST(BuiltinRegistry, TheReferencesOtherFunctionsLoadWithTheirDefaults) {
  // Every other function of the reference's plugins_func/functions, as a user lists them;
  // the module get_news_from_indian_sources stands for its function get_indian_news.
  xz::test::ToolLoop loop;
  auto cfg = config_with({{"Intent.function_call.functions",
                           {"play_story", "get_place_info", "get_location", "dlna_play_music",
                            "get_news_from_indian_sources", "get_indian_news_api"}}});
  auto tools = make_builtin_tools(cfg, {loop.pool(), nullptr});
  EXPECT_EQ(names_of(tools),
            (std::vector<std::string>{"handle_exit_intent", "get_lunar", "get_time", "play_story", "get_place_info",
                                      "get_location", "dlna_play_music", "get_indian_news", "get_indian_news_api"}));
  for (const auto& t : tools) EXPECT_EQ(t->schema().parameters["type"], "object") << t->schema().name;
  const auto& names = builtin_function_names();
  for (const char* name : {"play_story", "get_place_info", "get_location", "dlna_play_music", "get_indian_news",
                           "get_indian_news_api", "get_news_from_indian_sources"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;

  auto problems = problems_of(config_with({{"Intent.function_call.functions", {"dlna_play_music", "get_weather"}},
                                           {"plugins.dlna_play_music.ssdp_address", "not-an-address"},
                                           {"plugins.get_weather.provider", "yahoo"}}),
                              loop);
  ASSERT_EQ(problems.size(), 2u) << ::testing::PrintToString(problems);
  EXPECT_EQ(problems[0].rfind("plugins.dlna_play_music.ssdp_address:", 0), 0u) << problems[0];
  EXPECT_EQ(problems[1].rfind("plugins.get_weather.provider: unknown provider 'yahoo'", 0), 0u) << problems[1];
}
