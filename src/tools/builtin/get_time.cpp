#include "tools/builtin/get_time.h"

#include <fmt/format.h>

#include "tools/builtin/lunar_calendar.h"

namespace xz::tools::builtin {

GetTime::GetTime(WallClock clock, std::string description) : clock_(std::move(clock)) {
  schema_.name = "get_time";
  schema_.description = description.empty()
                            ? "Get the current date, time and weekday (and today's Chinese lunar date). Call "
                              "this when the user asks what time, day or date it is (现在几点, 今天几号, 星期几)."
                            : std::move(description);
  schema_.parameters = {{"type", "object"}, {"properties", nlohmann::json::object()}};
}

boost::asio::awaitable<ToolResult> GetTime::call(nlohmann::json, SessionActions&) {
  const LocalDateTime now = local_date_time(clock_.now(), clock_.utc_offset_hours);
  const int wd = weekday(now.date);
  std::string text = fmt::format("Current date and time: {} {:02}:{:02}:{:02}, {} ({}), time zone {}.",
                                 format_iso_date(now.date), now.hour, now.minute, now.second, weekday_en(wd),
                                 weekday_zh(wd), format_utc_offset(clock_.utc_offset_hours));
  if (auto lunar = to_lunar(now.date))
    text += fmt::format("\nLunar date: {} (year of the {}).", lunar_date_text(*lunar), zodiac_en(lunar->year));
  if (auto term = solar_term_on(now.date))
    text += fmt::format("\nSolar term today: {} ({}).", solar_term_zh(*term), solar_term_en(*term));
  if (auto f = festivals(now.date); !f.empty()) text += fmt::format("\nFestivals today: {}.", f);
  co_return ToolResult::llm(std::move(text));
}

}  // namespace xz::tools::builtin
