// handle_exit_intent, change_role, get_time and get_lunar with a fake session.
#include <gtest/gtest.h>

#include "builtin_test_util.h"
#include "tools/builtin/change_role.h"
#include "tools/builtin/get_lunar.h"
#include "tools/builtin/get_time.h"
#include "tools/builtin/handle_exit_intent.h"

using namespace xz::tools::builtin;
using xz::test::call_tool;
using xz::test::FakeSession;
using xz::test::ToolLoop;
using xz::tools::Action;
using nlohmann::json;

namespace {

WallClock fixed_clock(int y, unsigned m, unsigned d, int h, int min, double offset) {
  using namespace std::chrono;
  // The UTC instant whose local time at `offset` is y-m-d h:min.
  const auto local = sys_days{year{y} / month{m} / day{d}} + hours(h) + minutes(min);
  const auto utc = local - seconds(static_cast<long long>(offset * 3600));
  WallClock c;
  c.utc_offset_hours = offset;
  c.now = [utc] { return system_clock::time_point(utc); };
  return c;
}

}  // namespace

TEST(HandleExitIntent, SaysGoodbyeAndClosesAfterTheReply) {
  ToolLoop loop;
  FakeSession session(loop.loop().get_executor());
  HandleExitIntent tool;
  EXPECT_EQ(tool.schema().name, "handle_exit_intent");
  EXPECT_EQ(tool.schema().parameters["required"][0], "say_goodbye");
  auto r = call_tool(loop, tool, {{"say_goodbye", "See you tomorrow!"}}, session);
  EXPECT_EQ(r.action, Action::response);
  EXPECT_EQ(r.response, "See you tomorrow!");
  EXPECT_EQ(session.close_requests, 1);

  auto fallback = call_tool(loop, tool, json::object(), session);
  EXPECT_EQ(fallback.action, Action::response);
  EXPECT_FALSE(fallback.response.empty());
  EXPECT_EQ(session.close_requests, 2);
}

TEST(ChangeRole, SwitchesPersonaWithTheName) {
  ToolLoop loop;
  FakeSession session(loop.loop().get_executor());
  ChangeRole tool(ChangeRoleSettings{});
  EXPECT_NE(tool.schema().description.find("english_teacher"), std::string::npos);
  EXPECT_NE(tool.schema().description.find("storyteller"), std::string::npos);

  auto r = call_tool(loop, tool, {{"role", "English Teacher"}, {"role_name", "Lily"}}, session);
  EXPECT_EQ(r.action, Action::response);
  EXPECT_NE(r.response.find("Lily"), std::string::npos);
  ASSERT_EQ(session.personas.size(), 1u);
  EXPECT_NE(session.personas[0].find("English teacher named Lily"), std::string::npos);
  EXPECT_EQ(session.personas[0].find("{{assistant_name}}"), std::string::npos);
}

TEST(ChangeRole, UnknownRoleListsTheRolesAndChangesNothing) {
  ToolLoop loop;
  FakeSession session(loop.loop().get_executor());
  ChangeRoleSettings settings;
  settings.roles = {{"pirate", "You are {{assistant_name}}, a pirate. {{assistant_name}} says arr."},
                    {"老师", "你是{{assistant_name}}老师。"}};
  ChangeRole tool(settings);
  auto r = call_tool(loop, tool, {{"role", "astronaut"}, {"role_name", "Neil"}}, session);
  EXPECT_EQ(r.action, Action::not_found);
  EXPECT_NE(r.response.find("pirate"), std::string::npos);
  EXPECT_NE(r.response.find("老师"), std::string::npos);
  EXPECT_TRUE(session.personas.empty());

  call_tool(loop, tool, {{"role", "pirate"}, {"role_name", "Jack"}}, session);
  ASSERT_EQ(session.personas.size(), 1u);
  EXPECT_EQ(session.personas[0], "You are Jack, a pirate. Jack says arr.");
  call_tool(loop, tool, {{"role", "老师"}, {"role_name", "王"}}, session);
  EXPECT_EQ(session.personas.back(), "你是王老师。");
}

TEST(ChangeRole, RolesFromConfigReplaceTheDefaults) {
  nlohmann::json root = nlohmann::json::object();
  xz::core::set_path(root, "plugins.change_role.roles", {{"chef", "You are chef {{assistant_name}}."}});
  xz::core::Config cfg(root);
  std::vector<std::string> problems;
  auto s = ChangeRoleSettings::from(PluginConfig(cfg, "change_role", problems));
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(s.roles.size(), 1u);
  EXPECT_EQ(s.roles.begin()->first, "chef");

  xz::core::set_path(root, "plugins.change_role.roles", {{"chef", 42}});
  xz::core::Config bad(root);
  ChangeRoleSettings::from(PluginConfig(bad, "change_role", problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind("plugins.change_role.roles.chef:", 0), 0u) << problems[0];
}

TEST(GetTime, ReportsLocalTimeWeekdayAndLunarDate) {
  ToolLoop loop;
  FakeSession session(loop.loop().get_executor());
  GetTime tool(fixed_clock(2025, 1, 29, 0, 5, 8));
  auto r = call_tool(loop, tool, json::object(), session);
  EXPECT_EQ(r.action, Action::reqllm);
  EXPECT_NE(r.result.find("2025-01-29 00:05:00"), std::string::npos) << r.result;
  EXPECT_NE(r.result.find("Wednesday"), std::string::npos);
  EXPECT_NE(r.result.find("UTC+08:00"), std::string::npos);
  EXPECT_NE(r.result.find("乙巳年正月初一"), std::string::npos);
  EXPECT_NE(r.result.find("春节"), std::string::npos);

  // The same instant is still the 28th in UTC.
  WallClock utc = fixed_clock(2025, 1, 29, 0, 5, 8);
  utc.utc_offset_hours = 0;
  GetTime in_utc(utc);
  auto r2 = call_tool(loop, in_utc, json::object(), session);
  EXPECT_NE(r2.result.find("2025-01-28 16:05:00"), std::string::npos) << r2.result;
  EXPECT_NE(r2.result.find("Tuesday"), std::string::npos);
}

TEST(GetLunar, GivenDateTodayAndBadDates) {
  ToolLoop loop;
  FakeSession session(loop.loop().get_executor());
  GetLunar tool(fixed_clock(2024, 2, 4, 12, 0, 8));
  auto r = call_tool(loop, tool, {{"date", "2024-02-10"}, {"query", "zodiac"}}, session);
  EXPECT_EQ(r.action, Action::reqllm);
  EXPECT_NE(r.result.find("zodiac"), std::string::npos);
  EXPECT_NE(r.result.find("甲辰年正月初一"), std::string::npos) << r.result;
  EXPECT_NE(r.result.find("龙 (Dragon)"), std::string::npos);
  EXPECT_NE(r.result.find("甲辰年 丙寅月 甲辰日"), std::string::npos);
  EXPECT_NE(r.result.find("Next solar term: 雨水 (Rain Water) on 2024-02-19"), std::string::npos);
  EXPECT_NE(r.result.find("春节"), std::string::npos);

  auto today = call_tool(loop, tool, json::object(), session);
  EXPECT_NE(today.result.find("2024-02-04"), std::string::npos);
  EXPECT_NE(today.result.find("Solar term today: 立春"), std::string::npos) << today.result;
  EXPECT_NE(today.result.find("癸卯年十二月廿五"), std::string::npos);

  auto bad = call_tool(loop, tool, {{"date", "10/02/2024"}}, session);
  EXPECT_EQ(bad.action, Action::reqllm);
  EXPECT_NE(bad.result.find("YYYY-MM-DD"), std::string::npos);

  auto out_of_range = call_tool(loop, tool, {{"date", "1850-06-01"}}, session);
  EXPECT_NE(out_of_range.result.find("outside"), std::string::npos);
}
