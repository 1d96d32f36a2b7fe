#include "tools/builtin/lunar_calendar.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

namespace xz::tools::builtin {

namespace {

// Lunar years 1900-2100, one word each: bits 15..4 = months 1..12 have 30 days (else
// 29), bits 3..0 = the leap month (0 = none), bit 16 = the leap month has 30 days.
// The standard table, checked here against computed new moons for every month; two
// known misprints of the common copies are corrected (1996: 0x05ac0, 2060: 0x092e0).
constexpr std::array<std::uint32_t, 201> kLunarInfo = {
    0x04bd8, 0x04ae0, 0x0a570, 0x054d5, 0x0d260, 0x0d950, 0x16554, 0x056a0, 0x09ad0, 0x055d2,  // 1900-1909
    0x04ae0, 0x0a5b6, 0x0a4d0, 0x0d250, 0x1d255, 0x0b540, 0x0d6a0, 0x0ada2, 0x095b0, 0x14977,  // 1910-1919
    0x04970, 0x0a4b0, 0x0b4b5, 0x06a50, 0x06d40, 0x1ab54, 0x02b60, 0x09570, 0x052f2, 0x04970,  // 1920-1929
    0x06566, 0x0d4a0, 0x0ea50, 0x06e95, 0x05ad0, 0x02b60, 0x186e3, 0x092e0, 0x1c8d7, 0x0c950,  // 1930-1939
    0x0d4a0, 0x1d8a6, 0x0b550, 0x056a0, 0x1a5b4, 0x025d0, 0x092d0, 0x0d2b2, 0x0a950, 0x0b557,  // 1940-1949
    0x06ca0, 0x0b550, 0x15355, 0x04da0, 0x0a5b0, 0x14573, 0x052b0, 0x0a9a8, 0x0e950, 0x06aa0,  // 1950-1959
    0x0aea6, 0x0ab50, 0x04b60, 0x0aae4, 0x0a570, 0x05260, 0x0f263, 0x0d950, 0x05b57, 0x056a0,  // 1960-1969
    0x096d0, 0x04dd5, 0x04ad0, 0x0a4d0, 0x0d4d4, 0x0d250, 0x0d558, 0x0b540, 0x0b6a0, 0x195a6,  // 1970-1979
    0x095b0, 0x049b0, 0x0a974, 0x0a4b0, 0x0b27a, 0x06a50, 0x06d40, 0x0af46, 0x0ab60, 0x09570,  // 1980-1989
    0x04af5, 0x04970, 0x064b0, 0x074a3, 0x0ea50, 0x06b58, 0x05ac0, 0x0ab60, 0x096d5, 0x092e0,  // 1990-1999
    0x0c960, 0x0d954, 0x0d4a0, 0x0da50, 0x07552, 0x056a0, 0x0abb7, 0x025d0, 0x092d0, 0x0cab5,  // 2000-2009
    0x0a950, 0x0b4a0, 0x0baa4, 0x0ad50, 0x055d9, 0x04ba0, 0x0a5b0, 0x15176, 0x052b0, 0x0a930,  // 2010-2019
    0x07954, 0x06aa0, 0x0ad50, 0x05b52, 0x04b60, 0x0a6e6, 0x0a4e0, 0x0d260, 0x0ea65, 0x0d530,  // 2020-2029
    0x05aa0, 0x076a3, 0x096d0, 0x04afb, 0x04ad0, 0x0a4d0, 0x1d0b6, 0x0d250, 0x0d520, 0x0dd45,  // 2030-2039
    0x0b5a0, 0x056d0, 0x055b2, 0x049b0, 0x0a577, 0x0a4b0, 0x0aa50, 0x1b255, 0x06d20, 0x0ada0,  // 2040-2049
    0x14b63, 0x09370, 0x049f8, 0x04970, 0x064b0, 0x168a6, 0x0ea50, 0x06b20, 0x1a6c4, 0x0aae0,  // 2050-2059
    0x092e0, 0x0d2e3, 0x0c960, 0x0d557, 0x0d4a0, 0x0da50, 0x05d55, 0x056a0, 0x0a6d0, 0x055d4,  // 2060-2069
    0x052d0, 0x0a9b8, 0x0a950, 0x0b4a0, 0x0b6a6, 0x0ad50, 0x055a0, 0x0aba4, 0x0a5b0, 0x052b0,  // 2070-2079
    0x0b273, 0x06930, 0x07337, 0x06aa0, 0x0ad50, 0x14b55, 0x04b60, 0x0a570, 0x054e4, 0x0d160,  // 2080-2089
    0x0e968, 0x0d520, 0x0daa0, 0x16aa6, 0x056d0, 0x04ae0, 0x0a9d4, 0x0a2d0, 0x0d150, 0x0f252,  // 2090-2099
    0x0d520  // 2100-2100
};

// Solar term days for 1900-2100, the standard compressed table: six groups of five hex
// digits per year; each group, written in decimal, gives four days ("d dd d dd").
// Checked against the computed solar longitude: it differs only where a term falls
// within minutes of midnight, where the table follows the official almanac.
constexpr std::array<std::string_view, 201> kSolarTerms = {
    "9778397bd097c36b0b6fc9274c91aa", "97b6b97bd19801ec9210c965cc920e", "97bcf97c3598082c95f8c965cc920f",
    "97bd0b06bdb0722c965ce1cfcc920f", "b027097bd097c36b0b6fc9274c91aa", "97b6b97bd19801ec9210c965cc920e",
    "97bcf97c359801ec95f8c965cc920f", "97bd0b06bdb0722c965ce1cfcc920f", "b027097bd097c36b0b6fc9274c91aa",
    "97b6b97bd19801ec9210c965cc920e", "97bcf97c359801ec95f8c965cc920f", "97bd0b06bdb0722c965ce1cfcc920f",
    "b027097bd097c36b0b6fc9274c91aa", "9778397bd19801ec9210c965cc920e", "97b6b97bd19801ec95f8c965cc920f",
    "97bd09801d98082c95f8e1cfcc920f", "97bd097bd097c36b0b6fc9210c8dc2", "9778397bd197c36c9210c9274c91aa",
    "97b6b97bd19801ec95f8c965cc920e", "97bd09801d98082c95f8e1cfcc920f", "97bd097bd097c36b0b6fc9210c8dc2",
    "9778397bd097c36c9210c9274c91aa", "97b6b97bd19801ec95f8c965cc920e", "97bcf97c3598082c95f8e1cfcc920f",
    "97bd097bd097c36b0b6fc9210c8dc2", "9778397bd097c36c9210c9274c91aa", "97b6b97bd19801ec9210c965cc920e",
    "97bcf97c3598082c95f8c965cc920f", "97bd097bd097c35b0b6fc920fb0722", "9778397bd097c36b0b6fc9274c91aa",
    "97b6b97bd19801ec9210c965cc920e", "97bcf97c3598082c95f8c965cc920f", "97bd097bd097c35b0b6fc920fb0722",
    "9778397bd097c36b0b6fc9274c91aa", "97b6b97bd19801ec9210c965cc920e", "97bcf97c359801ec95f8c965cc920f",
    "97bd097bd097c35b0b6fc920fb0722", "9778397bd097c36b0b6fc9274c91aa", "97b6b97bd19801ec9210c965cc920e",
    "97bcf97c359801ec95f8c965cc920f", "97bd097bd097c35b0b6fc920fb0722", "9778397bd097c36b0b6fc9274c91aa",
    "97b6b97bd19801ec9210c965cc920e", "97bcf97c359801ec95f8c965cc920f", "97bd097bd07f595b0b6fc920fb0722",
    "9778397bd097c36b0b6fc9210c8dc2", "9778397bd19801ec9210c9274c920e", "97b6b97bd19801ec95f8c965cc920f",
    "97bd07f5307f595b0b0bc920fb0722", "7f0e397bd097c36b0b6fc9210c8dc2", "9778397bd097c36c9210c9274c920e",
    "97b6b97bd19801ec95f8c965cc920f", "97bd07f5307f595b0b0bc920fb0722", "7f0e397bd097c36b0b6fc9210c8dc2",
    "9778397bd097c36c9210c9274c91aa", "97b6b97bd19801ec9210c965cc920e", "97bd07f1487f595b0b0bc920fb0722",
    "7f0e397bd097c36b0b6fc9210c8dc2", "9778397bd097c36b0b6fc9274c91aa", "97b6b97bd19801ec9210c965cc920e",
    "97bcf7f1487f595b0b0bb0b6fb0722", "7f0e397bd097c35b0b6fc920fb0722", "9778397bd097c36b0b6fc9274c91aa",
    "97b6b97bd19801ec9210c965cc920e", "97bcf7f1487f595b0b0bb0b6fb0722", "7f0e397bd097c35b0b6fc920fb0722",
    "9778397bd097c36b0b6fc9274c91aa", "97b6b97bd19801ec9210c965cc920e", "97bcf7f1487f531b0b0bb0b6fb0722",
    "7f0e397bd097c35b0b6fc920fb0722", "9778397bd097c36b0b6fc9274c91aa", "97b6b97bd19801ec9210c965cc920e",
    "97bcf7f1487f531b0b0bb0b6fb0722", "7f0e397bd07f595b0b6fc920fb0722", "9778397bd097c36b0b6fc9274c91aa",
    "97b6b97bd19801ec9210c9274c920e", "97bcf7f0e47f531b0b0bb0b6fb0722", "7f0e397bd07f595b0b0bc920fb0722",
    "9778397bd097c36b0b6fc9210c91aa", "97b6b97bd197c36c9210c9274c920e", "97bcf7f0e47f531b0b0bb0b6fb0722",
    "7f0e397bd07f595b0b0bc920fb0722", "9778397bd097c36b0b6fc9210c8dc2", "9778397bd097c36c9210c9274c920e",
    "97b6b7f0e47f531b0723b0b6fb0722", "7f0e37f5307f595b0b0bc920fb0722", "7f0e397bd097c36b0b6fc9210c8dc2",
    "9778397bd097c36b0b70c9274c91aa", "97b6b7f0e47f531b0723b0b6fb0721", "7f0e37f1487f595b0b0bb0b6fb0722",
    "7f0e397bd097c35b0b6fc9210c8dc2", "9778397bd097c36b0b6fc9274c91aa", "97b6b7f0e47f531b0723b0b6fb0721",
    "7f0e27f1487f595b0b0bb0b6fb0722", "7f0e397bd097c35b0b6fc920fb0722", "9778397bd097c36b0b6fc9274c91aa",
    "97b6b7f0e47f531b0723b0b6fb0721", "7f0e27f1487f531b0b0bb0b6fb0722", "7f0e397bd097c35b0b6fc920fb0722",
    "9778397bd097c36b0b6fc9274c91aa", "97b6b7f0e47f531b0723b0b6fb0721", "7f0e27f1487f531b0b0bb0b6fb0722",
    "7f0e397bd097c35b0b6fc920fb0722", "9778397bd097c36b0b6fc9274c91aa", "97b6b7f0e47f531b0723b0b6fb0721",
    "7f0e27f1487f531b0b0bb0b6fb0722", "7f0e397bd07f595b0b0bc920fb0722", "9778397bd097c36b0b6fc9274c91aa",
    "97b6b7f0e47f531b0723b0787b0721", "7f0e27f0e47f531b0b0bb0b6fb0722", "7f0e397bd07f595b0b0bc920fb0722",
    "9778397bd097c36b0b6fc9210c91aa", "97b6b7f0e47f149b0723b0787b0721", "7f0e27f0e47f531b0723b0b6fb0722",
    "7f0e397bd07f595b0b0bc920fb0722", "9778397bd097c36b0b6fc9210c8dc2", "977837f0e37f149b0723b0787b0721",
    "7f07e7f0e47f531b0723b0b6fb0722", "7f0e37f5307f595b0b0bc920fb0722", "7f0e397bd097c35b0b6fc9210c8dc2",
    "977837f0e37f14998082b0787b0721", "7f07e7f0e47f531b0723b0b6fb0721", "7f0e37f1487f595b0b0bb0b6fb0722",
    "7f0e397bd097c35b0b6fc9210c8dc2", "977837f0e37f14998082b0787b06bd", "7f07e7f0e47f531b0723b0b6fb0721",
    "7f0e27f1487f531b0b0bb0b6fb0722", "7f0e397bd097c35b0b6fc920fb0722", "977837f0e37f14998082b0787b06bd",
    "7f07e7f0e47f531b0723b0b6fb0721", "7f0e27f1487f531b0b0bb0b6fb0722", "7f0e397bd097c35b0b6fc920fb0722",
    "977837f0e37f14998082b0787b06bd", "7f07e7f0e47f531b0723b0b6fb0721", "7f0e27f1487f531b0b0bb0b6fb0722",
    "7f0e397bd07f595b0b0bc920fb0722", "977837f0e37f14998082b0787b06bd", "7f07e7f0e47f531b0723b0b6fb0721",
    "7f0e27f1487f531b0b0bb0b6fb0722", "7f0e397bd07f595b0b0bc920fb0722", "977837f0e37f14998082b0787b06bd",
    "7f07e7f0e47f149b0723b0787b0721", "7f0e27f0e47f531b0b0bb0b6fb0722", "7f0e397bd07f595b0b0bc920fb0722",
    "977837f0e37f14998082b0723b06bd", "7f07e7f0e37f149b0723b0787b0721", "7f0e27f0e47f531b0723b0b6fb0722",
    "7f0e397bd07f595b0b0bc920fb0722", "977837f0e37f14898082b0723b02d5", "7ec967f0e37f14998082b0787b0721",
    "7f07e7f0e47f531b0723b0b6fb0722", "7f0e37f1487f595b0b0bb0b6fb0722", "7f0e37f0e37f14898082b0723b02d5",
    "7ec967f0e37f14998082b0787b0721", "7f07e7f0e47f531b0723b0b6fb0722", "7f0e37f1487f531b0b0bb0b6fb0722",
    "7f0e37f0e37f14898082b0723b02d5", "7ec967f0e37f14998082b0787b06bd", "7f07e7f0e47f531b0723b0b6fb0721",
    "7f0e37f1487f531b0b0bb0b6fb0722", "7f0e37f0e37f14898082b072297c35", "7ec967f0e37f14998082b0787b06bd",
    "7f07e7f0e47f531b0723b0b6fb0721", "7f0e27f1487f531b0b0bb0b6fb0722", "7f0e37f0e37f14898082b072297c35",
    "7ec967f0e37f14998082b0787b06bd", "7f07e7f0e47f531b0723b0b6fb0721", "7f0e27f1487f531b0b0bb0b6fb0722",
    "7f0e37f0e366aa89801eb072297c35", "7ec967f0e37f14998082b0787b06bd", "7f07e7f0e47f149b0723b0787b0721",
    "7f0e27f1487f531b0b0bb0b6fb0722", "7f0e37f0e366aa89801eb072297c35", "7ec967f0e37f14998082b0723b06bd",
    "7f07e7f0e47f149b0723b0787b0721", "7f0e27f0e47f531b0723b0b6fb0722", "7f0e37f0e366aa89801eb072297c35",
    "7ec967f0e37f14998082b0723b06bd", "7f07e7f0e37f14998083b0787b0721", "7f0e27f0e47f531b0723b0b6fb0722",
    "7f0e37f0e366aa89801eb072297c35", "7ec967f0e37f14898082b0723b02d5", "7f07e7f0e37f14998082b0787b0721",
    "7f07e7f0e47f531b0723b0b6fb0722", "7f0e36665b66aa89801e9808297c35", "665f67f0e37f14898082b0723b02d5",
    "7ec967f0e37f14998082b0787b0721", "7f07e7f0e47f531b0723b0b6fb0722", "7f0e36665b66a449801e9808297c35",
    "665f67f0e37f14898082b0723b02d5", "7ec967f0e37f14998082b0787b06bd", "7f07e7f0e47f531b0723b0b6fb0721",
    "7f0e36665b66a449801e9808297c35", "665f67f0e37f14898082b072297c35", "7ec967f0e37f14998082b0787b06bd",
    "7f07e7f0e47f531b0723b0b6fb0721", "7f0e26665b66a449801e9808297c35", "665f67f0e37f1489801eb072297c35",
    "7ec967f0e37f14998082b0787b06bd", "7f07e7f0e47f531b0723b0b6fb0721", "7f0e27f1487f531b0b0bb0b6fb0722"
};

constexpr std::array<std::string_view, 10> kStems = {"甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸"};
constexpr std::array<std::string_view, 12> kBranches = {"子", "丑", "寅", "卯", "辰", "巳",
                                                        "午", "未", "申", "酉", "戌", "亥"};
constexpr std::array<std::string_view, 12> kAnimalsZh = {"鼠", "牛", "虎", "兔", "龙", "蛇",
                                                         "马", "羊", "猴", "鸡", "狗", "猪"};
constexpr std::array<std::string_view, 12> kAnimalsEn = {"Rat",   "Ox",   "Tiger",  "Rabbit",  "Dragon", "Snake",
                                                         "Horse", "Goat", "Monkey", "Rooster", "Dog",    "Pig"};
constexpr std::array<std::string_view, 24> kTermsZh = {
    "小寒", "大寒", "立春", "雨水", "惊蛰", "春分", "清明", "谷雨", "立夏", "小满", "芒种", "夏至",
    "小暑", "大暑", "立秋", "处暑", "白露", "秋分", "寒露", "霜降", "立冬", "小雪", "大雪", "冬至"};
constexpr std::array<std::string_view, 24> kTermsEn = {
    "Minor Cold",      "Major Cold",     "Start of Spring", "Rain Water",      "Awakening of Insects",
    "Spring Equinox",  "Clear and Bright", "Grain Rain",    "Start of Summer", "Grain Buds",
    "Grain in Ear",    "Summer Solstice", "Minor Heat",     "Major Heat",      "Start of Autumn",
    "End of Heat",     "White Dew",      "Autumn Equinox",  "Cold Dew",        "Frost's Descent",
    "Start of Winter", "Minor Snow",     "Major Snow",      "Winter Solstice"};
constexpr std::array<std::string_view, 11> kDigits = {"", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};

int mod(long a, int m) { return static_cast<int>(((a % m) + m) % m); }

std::uint32_t info(int year) { return kLunarInfo[static_cast<std::size_t>(year - 1900)]; }
int leap_month(int year) { return static_cast<int>(info(year) & 0xf); }
int leap_days(int year) { return leap_month(year) ? ((info(year) & 0x10000) ? 30 : 29) : 0; }
int month_days(int year, int month) { return (info(year) & (0x10000u >> month)) ? 30 : 29; }
int year_days(int year) {
  int sum = 348;
  for (std::uint32_t bit = 0x8000; bit > 0x8; bit >>= 1) sum += (info(year) & bit) ? 1 : 0;
  return sum + leap_days(year);
}

bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int y, int m) {
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

}  // namespace

long days_from_civil(CivilDate d) {
  // Howard Hinnant's algorithm.
  const long y = d.year - (d.month <= 2 ? 1 : 0);
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long mp = (d.month + 9) % 12;
  const long doy = (153 * mp + 2) / 5 + d.day - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civil_from_days(long z) {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const long doe = z - era * 146097;
  const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0)), month, day};
}

int weekday(CivilDate d) { return mod(days_from_civil(d) + 4, 7); }  // 1970-01-01 was a Thursday

std::optional<CivilDate> parse_iso_date(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  auto num = [&](std::size_t at, std::size_t len) -> std::optional<int> {
    int v = 0;
    auto [end, ec] = std::from_chars(t.data() + at, t.data() + at + len, v);
    if (ec != std::errc() || end != t.data() + at + len) return std::nullopt;
    return v;
  };
  auto y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m)) return std::nullopt;
  return CivilDate{*y, *m, *d};
}

std::string format_iso_date(CivilDate d) { return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day); }

LocalDateTime local_date_time(std::chrono::system_clock::time_point t, double utc_offset_hours) {
  using namespace std::chrono;
  const long long secs = duration_cast<seconds>(t.time_since_epoch()).count() +
                         static_cast<long long>(std::llround(utc_offset_hours * 3600));
  long long days = secs / 86400;
  long long rest = secs % 86400;
  if (rest < 0) rest += 86400, --days;
  return {civil_from_days(static_cast<long>(days)), static_cast<int>(rest / 3600), static_cast<int>(rest % 3600 / 60),
          static_cast<int>(rest % 60)};
}

std::string format_utc_offset(double utc_offset_hours) {
  const long minutes = std::lround(utc_offset_hours * 60);
  const long a = minutes < 0 ? -minutes : minutes;
  return fmt::format("UTC{}{:02}:{:02}", minutes < 0 ? '-' : '+', a / 60, a % 60);
}

std::string weekday_en(int wd) {
  constexpr std::array<std::string_view, 7> kNames = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                      "Thursday", "Friday", "Saturday"};
  return std::string(kNames[static_cast<std::size_t>(mod(wd, 7))]);
}

std::string weekday_zh(int wd) {
  constexpr std::array<std::string_view, 7> kNames = {"星期日", "星期一", "星期二", "星期三",
                                                      "星期四", "星期五", "星期六"};
  return std::string(kNames[static_cast<std::size_t>(mod(wd, 7))]);
}

std::optional<LunarDate> to_lunar(CivilDate d) {
  if (d < kLunarFirstDay || d > kLunarLastDay) return std::nullopt;
  long offset = days_from_civil(d) - days_from_civil(kLunarFirstDay);
  int year = 1900;
  for (; year <= 2100 && offset >= year_days(year); ++year) offset -= year_days(year);
  const int leap = leap_month(year);
  for (int month = 1; month <= 12; ++month) {
    int n = month_days(year, month);
    if (offset < n) return LunarDate{year, month, static_cast<int>(offset) + 1, false, n};
    offset -= n;
    if (month == leap) {
      n = leap_days(year);
      if (offset < n) return LunarDate{year, month, static_cast<int>(offset) + 1, true, n};
      offset -= n;
    }
  }
  return std::nullopt;  // unreachable: the year's days were counted above
}

std::string lunar_month_name(int month, bool leap) {
  std::string name = leap ? "闰" : "";
  if (month == 1) return name + "正月";
  if (month <= 10) return name + std::string(kDigits[static_cast<std::size_t>(month)]) + "月";
  return name + "十" + std::string(kDigits[static_cast<std::size_t>(month - 10)]) + "月";
}

std::string lunar_day_name(int day) {
  if (day == 10) return "初十";
  if (day == 20) return "二十";
  if (day == 30) return "三十";
  constexpr std::array<std::string_view, 3> kTens = {"初", "十", "廿"};
  return std::string(kTens[static_cast<std::size_t>(day / 10)]) + std::string(kDigits[static_cast<std::size_t>(day % 10)]);
}

std::string lunar_date_text(const LunarDate& d) {
  return ganzhi_name(year_ganzhi(d.year)) + "年" + lunar_month_name(d.month, d.leap_month) + lunar_day_name(d.day);
}

std::string ganzhi_name(int index) {
  index = mod(index, 60);
  return std::string(kStems[static_cast<std::size_t>(index % 10)]) + std::string(kBranches[static_cast<std::size_t>(index % 12)]);
}

int year_ganzhi(int lunar_year) { return mod(lunar_year - 4, 60); }  // 1984 was 甲子

std::optional<int> month_ganzhi(CivilDate d) {
  // The latest "jie" (even-numbered term: 小寒, 立春, 惊蛰, ...) on or before d.
  int year = d.year;
  int jie = (d.month - 1);  // the jie of this Gregorian month is term 2*(month-1)
  auto day = solar_term_date(year, 2 * jie);
  if (!day) return std::nullopt;
  if (d < *day) {
    if (--jie < 0) {
      jie = 11;
      --year;
      if (year < 1900) return std::nullopt;
    }
  }
  // 1900's 小寒 month was 丁丑 (index 13); months run on without a gap.
  return mod(13 + (year - 1900) * 12L + jie, 60);
}

int day_ganzhi(CivilDate d) { return mod(days_from_civil(d) + 17, 60); }  // 1970-01-01 was 辛巳

std::string zodiac_zh(int lunar_year) { return std::string(kAnimalsZh[static_cast<std::size_t>(mod(lunar_year - 4, 12))]); }
std::string zodiac_en(int lunar_year) { return std::string(kAnimalsEn[static_cast<std::size_t>(mod(lunar_year - 4, 12))]); }

std::string solar_term_zh(int index) { return std::string(kTermsZh[static_cast<std::size_t>(mod(index, 24))]); }
std::string solar_term_en(int index) { return std::string(kTermsEn[static_cast<std::size_t>(mod(index, 24))]); }

std::optional<CivilDate> solar_term_date(int year, int index) {
  if (year < 1900 || year > 2100 || index < 0 || index > 23) return std::nullopt;
  std::string_view row = kSolarTerms[static_cast<std::size_t>(year - 1900)];
  std::string_view group = row.substr(static_cast<std::size_t>(index / 4) * 5, 5);
  unsigned value = 0;
  std::from_chars(group.data(), group.data() + group.size(), value, 16);
  const std::string digits = std::to_string(value);  // always six digits: "d dd d dd"
  constexpr std::array<std::pair<int, int>, 4> kFields = {{{0, 1}, {1, 2}, {3, 1}, {4, 2}}};
  const auto [at, len] = kFields[static_cast<std::size_t>(index % 4)];
  int day = 0;
  std::from_chars(digits.data() + at, digits.data() + at + len, day);
  return CivilDate{year, index / 2 + 1, day};
}

std::optional<int> solar_term_on(CivilDate d) {
  for (int i : {2 * (d.month - 1), 2 * (d.month - 1) + 1}) {
    auto day = solar_term_date(d.year, i);
    if (day && *day == d) return i;
  }
  return std::nullopt;
}

std::optional<SolarTermDay> next_solar_term(CivilDate d) {
  for (int year = d.year; year <= d.year + 1; ++year) {
    for (int i = 0; i < 24; ++i) {
      auto day = solar_term_date(year, i);
      if (!day) return std::nullopt;
      if (*day > d) return SolarTermDay{i, *day};
    }
  }
  return std::nullopt;
}

std::string festivals(CivilDate d) {
  std::vector<std::string> found;
  if (d.month == 1 && d.day == 1) found.push_back("元旦 (New Year's Day)");
  if (d.month == 5 && d.day == 1) found.push_back("劳动节 (Labour Day)");
  if (d.month == 10 && d.day == 1) found.push_back("国庆节 (National Day)");
  if (auto term = solar_term_on(d); term && *term == 6) found.push_back("清明节 (Qingming Festival)");
  if (auto l = to_lunar(d); l && !l->leap_month) {
    struct Fest {
      int month, day;
      std::string_view name;
    };
    constexpr std::array<Fest, 10> kLunarFestivals = {{
        {1, 1, "春节 (Spring Festival)"},
        {1, 15, "元宵节 (Lantern Festival)"},
        {2, 2, "龙抬头 (Dragon Raises its Head)"},
        {5, 5, "端午节 (Dragon Boat Festival)"},
        {7, 7, "七夕 (Qixi Festival)"},
        {7, 15, "中元节 (Ghost Festival)"},
        {8, 15, "中秋节 (Mid-Autumn Festival)"},
        {9, 9, "重阳节 (Double Ninth Festival)"},
        {12, 8, "腊八节 (Laba Festival)"},
        {12, 23, "小年 (Little New Year)"},
    }};
    for (const auto& f : kLunarFestivals)
      if (l->month == f.month && l->day == f.day) found.emplace_back(f.name);
    // New Year's Eve is the last day of the twelfth month, whatever its length.
    if (l->month == 12 && l->day == l->month_days && leap_month(l->year) != 12)
      found.push_back("除夕 (Chinese New Year's Eve)");
  }
  std::string out;
  for (const auto& f : found) out += (out.empty() ? "" : ", ") + f;
  return out;
}

}  // namespace xz::tools::builtin
