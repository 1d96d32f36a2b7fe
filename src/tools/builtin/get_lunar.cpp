#include "tools/builtin/get_lunar.h"

#include <fmt/format.h>

namespace xz::tools::builtin {

std::string lunar_report(CivilDate day) {
  const auto lunar = to_lunar(day);
  if (!lunar)
    return fmt::format("The lunar calendar is only known from {} to {}; {} is outside that range.",
                       format_iso_date(kLunarFirstDay), format_iso_date(kLunarLastDay), format_iso_date(day));
  const int wd = weekday(day);
  std::string text = fmt::format("Gregorian date: {}, {} ({})\n", format_iso_date(day), weekday_en(wd), weekday_zh(wd));
  text += fmt::format("Lunar date: {} (lunar year {}, {}month {}, day {}; this month has {} days)\n",
                      lunar_date_text(*lunar), lunar->year, lunar->leap_month ? "leap " : "", lunar->month,
                      lunar->day, lunar->month_days);
  text += fmt::format("Zodiac animal (生肖): {} ({})\n", zodiac_zh(lunar->year), zodiac_en(lunar->year));
  std::string pillars = ganzhi_name(year_ganzhi(lunar->year)) + "年 ";
  if (auto m = month_ganzhi(day)) pillars += ganzhi_name(*m) + "月 ";
  pillars += ganzhi_name(day_ganzhi(day)) + "日";
  text += fmt::format("Heavenly stems and earthly branches (干支): {}\n", pillars);
  if (auto term = solar_term_on(day))
    text += fmt::format("Solar term today: {} ({})\n", solar_term_zh(*term), solar_term_en(*term));
  else
    text += "Solar term today: none\n";
  if (auto next = next_solar_term(day))
    text += fmt::format("Next solar term: {} ({}) on {}\n", solar_term_zh(next->index), solar_term_en(next->index),
                        format_iso_date(next->date));
  const std::string f = festivals(day);
  text += fmt::format("Festivals: {}", f.empty() ? "none" : f);
  return text;
}

GetLunar::GetLunar(WallClock clock, std::string description) : clock_(std::move(clock)) {
  schema_.name = "get_lunar";
  schema_.description =
      description.empty()
          ? "Get Chinese lunar calendar (农历) information for a date: the lunar date, the ganzhi (天干地支) of "
            "the year, month and day, the zodiac animal (生肖), solar terms (节气) and traditional festivals. "
            "Without a query it gives the ganzhi year and lunar date."
          : std::move(description);
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"date",
         {{"type", "string"},
          {"description", "The date to look up, YYYY-MM-DD (e.g. 2024-01-01); omit for today."}}},
        {"query",
         {{"type", "string"},
          {"description", "What the user wants to know, e.g. lunar date, ganzhi, zodiac, solar term, festival."}}}}},
      {"required", nlohmann::json::array()},
  };
}

boost::asio::awaitable<ToolResult> GetLunar::call(nlohmann::json arguments, SessionActions&) {
  std::string date_arg, query;
  if (arguments.is_object()) {
    if (arguments.contains("date") && arguments["date"].is_string()) date_arg = arguments["date"].get<std::string>();
    if (arguments.contains("query") && arguments["query"].is_string()) query = arguments["query"].get<std::string>();
  }
  CivilDate day = local_date_time(clock_.now(), clock_.utc_offset_hours).date;
  if (!date_arg.empty()) {
    auto parsed = parse_iso_date(date_arg);
    if (!parsed)
      co_return ToolResult::llm(
          fmt::format("Date format error: '{}'. Please use YYYY-MM-DD, e.g. 2024-01-01.", date_arg));
    day = *parsed;
  }
  if (query.empty()) query = "the ganzhi year and the lunar date";
  co_return ToolResult::llm(fmt::format("Answer the user's question about {} from this information:\n{}", query,
                                        lunar_report(day)));
}

}  // namespace xz::tools::builtin
