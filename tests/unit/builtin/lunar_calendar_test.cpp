#include "tools/builtin/lunar_calendar.h"

#include <gtest/gtest.h>

using namespace xz::tools::builtin;

namespace {

std::string lunar_text(int y, int m, int d) {
  auto l = to_lunar({y, m, d});
  return l ? lunar_date_text(*l) : "(none)";
}

}  // namespace

TEST(CivilDate, DayNumbersRoundTripAndWeekdays) {
  EXPECT_EQ(days_from_civil({1970, 1, 1}), 0);
  EXPECT_EQ(days_from_civil({2000, 3, 1}) - days_from_civil({2000, 2, 28}), 2);  // 2000 was a leap year
  EXPECT_EQ(days_from_civil({1900, 3, 1}) - days_from_civil({1900, 2, 28}), 1);  // 1900 was not
  for (long d = -30000; d < 80000; d += 37) EXPECT_EQ(days_from_civil(civil_from_days(d)), d);
  EXPECT_EQ(weekday({2024, 2, 10}), 6);  // Saturday
  EXPECT_EQ(weekday({2000, 1, 1}), 6);
  EXPECT_EQ(weekday({1970, 1, 1}), 4);  // Thursday
  EXPECT_EQ(weekday_en(1), "Monday");
  EXPECT_EQ(weekday_zh(0), "星期日");
}

TEST(CivilDate, ParsesOnlyRealIsoDates) {
  EXPECT_EQ(parse_iso_date("2024-02-29"), (CivilDate{2024, 2, 29}));
  EXPECT_FALSE(parse_iso_date("2023-02-29"));
  EXPECT_FALSE(parse_iso_date("2024-13-01"));
  EXPECT_FALSE(parse_iso_date("2024-1-01"));
  EXPECT_FALSE(parse_iso_date("2024/01/01"));
  EXPECT_FALSE(parse_iso_date("tomorrow"));
  EXPECT_FALSE(parse_iso_date(""));
  EXPECT_EQ(format_iso_date({905, 3, 7}), "0905-03-07");
}

TEST(CivilDate, LocalTimeAtAnOffset) {
  using namespace std::chrono;
  // 2024-02-09 16:30:05 UTC is already the next day in China.
  const auto t = sys_days{year{2024} / 2 / 9} + hours(16) + minutes(30) + seconds(5);
  auto cn = local_date_time(t, 8);
  EXPECT_EQ(cn.date, (CivilDate{2024, 2, 10}));
  EXPECT_EQ(cn.hour, 0);
  EXPECT_EQ(cn.minute, 30);
  EXPECT_EQ(cn.second, 5);
  auto ny = local_date_time(t, -5);
  EXPECT_EQ(ny.date, (CivilDate{2024, 2, 9}));
  EXPECT_EQ(ny.hour, 11);
  EXPECT_EQ(local_date_time(t, 5.5).minute, 0);  // 22:00 in India
  EXPECT_EQ(format_utc_offset(8), "UTC+08:00");
  EXPECT_EQ(format_utc_offset(-3.5), "UTC-03:30");
}

TEST(LunarCalendar, KnownNewYearsLeapMonthsAndFestivals) {
  EXPECT_EQ(lunar_text(2024, 2, 10), "甲辰年正月初一");
  EXPECT_EQ(lunar_text(2023, 3, 22), "癸卯年闰二月初一");
  EXPECT_EQ(lunar_text(2023, 3, 21), "癸卯年二月三十");
  EXPECT_EQ(lunar_text(2023, 4, 20), "癸卯年三月初一");
  EXPECT_EQ(lunar_text(2025, 1, 29), "乙巳年正月初一");
  EXPECT_EQ(lunar_text(2025, 1, 28), "甲辰年十二月廿九");  // 2025 had no 30th of the twelfth month
  EXPECT_EQ(lunar_text(2000, 1, 1), "己卯年十一月廿五");
  EXPECT_EQ(lunar_text(2024, 9, 17), "甲辰年八月十五");  // Mid-Autumn Festival 2024
  EXPECT_EQ(lunar_text(2025, 5, 31), "乙巳年五月初五");  // Dragon Boat Festival 2025
  EXPECT_EQ(lunar_text(2033, 12, 22), "癸丑年闰十一月初一");
  EXPECT_EQ(lunar_text(1900, 1, 31), "庚子年正月初一");
  EXPECT_EQ(lunar_text(1996, 9, 13), "丙子年八月初一");  // a misprint in common copies of the table
  EXPECT_EQ(lunar_text(2060, 4, 30), "庚辰年四月初一");  // likewise

  auto eve = to_lunar({2024, 2, 9});
  ASSERT_TRUE(eve);
  EXPECT_EQ(eve->month, 12);
  EXPECT_EQ(eve->day, 30);
  EXPECT_EQ(eve->month_days, 30);
  EXPECT_NE(festivals({2024, 2, 9}).find("除夕"), std::string::npos);
  EXPECT_NE(festivals({2025, 1, 28}).find("除夕"), std::string::npos);
  EXPECT_NE(festivals({2024, 2, 10}).find("春节"), std::string::npos);
  EXPECT_NE(festivals({2024, 9, 17}).find("中秋节"), std::string::npos);
  EXPECT_NE(festivals({2024, 4, 4}).find("清明节"), std::string::npos);
  EXPECT_EQ(festivals({2024, 3, 5}), "");
  // 二月初二 is 龙抬头; the same day of the leap second month is not.
  EXPECT_NE(festivals({2023, 2, 21}).find("龙抬头"), std::string::npos);
  EXPECT_EQ(festivals({2023, 3, 23}), "");
}

TEST(LunarCalendar, RangeIsExplicit) {
  EXPECT_FALSE(to_lunar({1900, 1, 30}));
  EXPECT_TRUE(to_lunar({1900, 1, 31}));
  EXPECT_TRUE(to_lunar({2100, 12, 31}));
  EXPECT_FALSE(to_lunar({2101, 1, 1}));
}

TEST(LunarCalendar, EveryDayFollowsTheDayBefore) {
  auto prev = *to_lunar(kLunarFirstDay);
  int leap_months = 0;
  for (long d = days_from_civil(kLunarFirstDay) + 1; d <= days_from_civil(kLunarLastDay); ++d) {
    auto cur = to_lunar(civil_from_days(d));
    ASSERT_TRUE(cur);
    if (cur->day != 1) {
      ASSERT_EQ(cur->day, prev.day + 1) << format_iso_date(civil_from_days(d));
      ASSERT_EQ(cur->month, prev.month);
      ASSERT_EQ(cur->leap_month, prev.leap_month);
    } else {
      ASSERT_EQ(prev.day, prev.month_days);
      ASSERT_TRUE(prev.month_days == 29 || prev.month_days == 30);
      if (cur->leap_month) {
        ++leap_months;
        ASSERT_EQ(cur->month, prev.month);  // a leap month repeats the month before it
      } else if (prev.month == 12) {
        ASSERT_EQ(cur->month, 1);
        ASSERT_EQ(cur->year, prev.year + 1);
      } else {
        ASSERT_EQ(cur->month, prev.month + 1);
      }
    }
    prev = *cur;
  }
  // About 7 leap months in 19 years.
  EXPECT_GE(leap_months, 70);
  EXPECT_LE(leap_months, 76);
}

TEST(LunarCalendar, GanzhiAndZodiac) {
  EXPECT_EQ(ganzhi_name(0), "甲子");
  EXPECT_EQ(ganzhi_name(59), "癸亥");
  EXPECT_EQ(ganzhi_name(year_ganzhi(1984)), "甲子");
  EXPECT_EQ(ganzhi_name(year_ganzhi(2024)), "甲辰");
  EXPECT_EQ(zodiac_zh(2024), "龙");
  EXPECT_EQ(zodiac_en(2025), "Snake");
  EXPECT_EQ(zodiac_en(2020), "Rat");
  EXPECT_EQ(ganzhi_name(day_ganzhi({2000, 1, 1})), "戊午");
  EXPECT_EQ(ganzhi_name(day_ganzhi({2024, 2, 10})), "甲辰");
  EXPECT_EQ(ganzhi_name(*month_ganzhi({2024, 2, 10})), "丙寅");  // after 立春 of a 甲 year
  EXPECT_EQ(ganzhi_name(*month_ganzhi({2024, 2, 3})), "乙丑");   // the day before 立春
  EXPECT_EQ(ganzhi_name(*month_ganzhi({2024, 1, 5})), "甲子");   // before 小寒: still the 大雪 month
  EXPECT_FALSE(month_ganzhi({1900, 1, 1}));
}

TEST(SolarTerms, KnownDates) {
  EXPECT_EQ(solar_term_on({2024, 2, 4}), 2);
  EXPECT_EQ(solar_term_zh(2), "立春");
  EXPECT_EQ(solar_term_on({2024, 12, 21}), 23);
  EXPECT_EQ(solar_term_zh(23), "冬至");
  EXPECT_EQ(solar_term_on({2025, 1, 5}), 0);
  EXPECT_EQ(solar_term_on({2024, 6, 21}), 11);
  EXPECT_EQ(solar_term_en(11), "Summer Solstice");
  EXPECT_EQ(solar_term_on({2024, 4, 4}), 6);
  EXPECT_FALSE(solar_term_on({2024, 2, 10}));
  auto next = next_solar_term({2024, 2, 10});
  ASSERT_TRUE(next);
  EXPECT_EQ(next->index, 3);
  EXPECT_EQ(next->date, (CivilDate{2024, 2, 19}));
  auto year_end = next_solar_term({2024, 12, 25});
  ASSERT_TRUE(year_end);
  EXPECT_EQ(year_end->date, (CivilDate{2025, 1, 5}));
  EXPECT_FALSE(solar_term_date(1899, 0));
  EXPECT_FALSE(solar_term_date(2101, 0));
}

TEST(SolarTerms, EveryYearHasTwoTermsAMonthInOrder) {
  for (int y = 1900; y <= 2100; ++y) {
    long last = y > 1900 ? days_from_civil(*solar_term_date(y - 1, 23)) : days_from_civil({1899, 12, 22});
    for (int i = 0; i < 24; ++i) {
      auto d = solar_term_date(y, i);
      ASSERT_TRUE(d);
      ASSERT_EQ(d->month, i / 2 + 1);
      ASSERT_GE(d->day, i % 2 == 0 ? 3 : 18) << y << " term " << i;
      ASSERT_LE(d->day, i % 2 == 0 ? 9 : 24) << y << " term " << i;
      const long day = days_from_civil(*d);
      ASSERT_GT(day - last, 12);
      last = day;
    }
  }
}
