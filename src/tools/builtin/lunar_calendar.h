#pragma once
// The Chinese lunisolar calendar (nongli) for 1900-2100, computed locally: lunar date
// with leap months, the sexagenary (ganzhi) year, month and day, the zodiac animal,
// the 24 solar terms (jieqi) and the traditional festivals. Pure functions.
#include <chrono>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace xz::tools::builtin {

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1-12
  int day = 1;    // 1-31
  auto operator<=>(const CivilDate&) const = default;
};

// Proleptic Gregorian day numbers: days since 1970-01-01 and back.
long days_from_civil(CivilDate d);
CivilDate civil_from_days(long days);
// 0 = Sunday ... 6 = Saturday.
int weekday(CivilDate d);
// Strict "YYYY-MM-DD" of a real calendar day; std::nullopt otherwise.
std::optional<CivilDate> parse_iso_date(std::string_view text);
std::string format_iso_date(CivilDate d);

struct LocalDateTime {
  CivilDate date;
  int hour = 0, minute = 0, second = 0;
};
// Wall-clock time at a fixed UTC offset (hours, may be fractional: 5.5).
LocalDateTime local_date_time(std::chrono::system_clock::time_point t, double utc_offset_hours);
// "UTC+08:00", "UTC-03:30".
std::string format_utc_offset(double utc_offset_hours);
// "Monday" / "星期一" for weekday() 0-6 (0 = Sunday).
std::string weekday_en(int wd);
std::string weekday_zh(int wd);

// The range the tables cover (lunar years 1900-2100).
inline constexpr CivilDate kLunarFirstDay{1900, 1, 31};
inline constexpr CivilDate kLunarLastDay{2100, 12, 31};

struct LunarDate {
  int year = 0;   // the lunar year, which starts at the Spring Festival
  int month = 0;  // 1-12
  int day = 0;    // 1-30
  bool leap_month = false;
  int month_days = 0;  // 29 or 30
};

// std::nullopt outside kLunarFirstDay..kLunarLastDay.
std::optional<LunarDate> to_lunar(CivilDate d);

// "甲辰年正月初一", "癸卯年闰二月初一", "己卯年十一月廿五".
std::string lunar_date_text(const LunarDate& d);
std::string lunar_month_name(int month, bool leap);  // "正月", "闰二月", "十二月"
std::string lunar_day_name(int day);                 // "初一", "十五", "廿五", "三十"

// Sexagenary cycle: index 0 = 甲子 ... 59 = 癸亥.
std::string ganzhi_name(int index);
int year_ganzhi(int lunar_year);
// The month pillar changes at each "jie" solar term (立春 starts 寅 months). Requires
// a date in 1900-01-06..2100-12-31 (std::nullopt otherwise).
std::optional<int> month_ganzhi(CivilDate d);
int day_ganzhi(CivilDate d);
// Zodiac animal of a lunar year: "龙" / "Dragon".
std::string zodiac_zh(int lunar_year);
std::string zodiac_en(int lunar_year);

// The 24 solar terms of a Gregorian year, index 0 = 小寒 (about Jan 6) ... 23 = 冬至.
std::string solar_term_zh(int index);
std::string solar_term_en(int index);
// Day of term `index` in `year` (1900-2100); std::nullopt outside that range.
std::optional<CivilDate> solar_term_date(int year, int index);
// The term that falls on d, if any.
std::optional<int> solar_term_on(CivilDate d);
struct SolarTermDay {
  int index = 0;
  CivilDate date;
};
// The first term strictly after d (std::nullopt past the tables).
std::optional<SolarTermDay> next_solar_term(CivilDate d);

// Traditional and public festivals on d ("春节 (Spring Festival)", ...), joined by
// ", "; "" when none.
std::string festivals(CivilDate d);

}  // namespace xz::tools::builtin
