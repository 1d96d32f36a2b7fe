#include <gtest/gtest.h>

#include "sim/load/sample_set.h"

using xz::sim::SampleSet;

namespace {

TEST(SampleSet, PercentilesAreNearestRank) {
  SampleSet s;
  for (int i = 100; i >= 1; --i) s.add(i);
  EXPECT_EQ(s.count(), 100u);
  EXPECT_DOUBLE_EQ(s.percentile(50), 50);
  EXPECT_DOUBLE_EQ(s.percentile(99), 99);
  EXPECT_DOUBLE_EQ(s.percentile(100), 100);
  EXPECT_DOUBLE_EQ(s.percentile(0), 1);
  EXPECT_DOUBLE_EQ(s.min(), 1);
  EXPECT_DOUBLE_EQ(s.max(), 100);
  EXPECT_DOUBLE_EQ(s.mean(), 50.5);
  EXPECT_DOUBLE_EQ(s.fraction_above(90), 0.10);
}

TEST(SampleSet, EmptyAndNonFinite) {
  SampleSet s;
  s.add(std::numeric_limits<double>::quiet_NaN());
  EXPECT_TRUE(s.empty());
  EXPECT_DOUBLE_EQ(s.percentile(50), 0);
  auto j = s.to_json(true);
  EXPECT_EQ(j["count"], 0);
  EXPECT_TRUE(j["p99"].is_null());
  EXPECT_TRUE(j["samples"].empty());
}

TEST(SampleSet, KeepsAtMostItsCapacityButCountsEverything) {
  SampleSet s(1000);
  for (int i = 0; i < 100000; ++i) s.add(i % 100);
  EXPECT_EQ(s.count(), 100000u);
  EXPECT_EQ(s.values().size(), 1000u);
  EXPECT_DOUBLE_EQ(s.max(), 99);
  // A uniform reservoir of a uniform stream: the median lands near the middle.
  EXPECT_NEAR(s.percentile(50), 49.5, 6);
}

TEST(SampleSet, MergeWeightsEachSideByItsCount) {
  SampleSet a(1000), b(1000);
  for (int i = 0; i < 9000; ++i) a.add(1.0);
  for (int i = 0; i < 1000; ++i) b.add(2.0);
  a.merge(b);
  EXPECT_EQ(a.count(), 10000u);
  EXPECT_EQ(a.values().size(), 1000u);
  EXPECT_DOUBLE_EQ(a.min(), 1.0);
  EXPECT_DOUBLE_EQ(a.max(), 2.0);
  EXPECT_NEAR(a.fraction_above(1.5), 0.1, 0.01);
  EXPECT_NEAR(a.mean(), 1.1, 1e-9);
}

TEST(SampleSet, JsonRoundTripKeepsTheFigures) {
  SampleSet s;
  for (int i = 1; i <= 10; ++i) s.add(i * 1.5);
  auto j = s.to_json(true);
  EXPECT_EQ(j["samples"].size(), 10u);
  auto back = SampleSet::from_json(j);
  EXPECT_EQ(back.count(), 10u);
  EXPECT_DOUBLE_EQ(back.percentile(50), s.percentile(50));
  EXPECT_DOUBLE_EQ(back.max(), 15);
  EXPECT_NEAR(back.mean(), s.mean(), 0.01);
  EXPECT_THROW(SampleSet::from_json(nlohmann::json{{"count", "x"}}), std::invalid_argument);
  EXPECT_THROW(SampleSet::from_json(nlohmann::json{{"count", 3}, {"min", 1}}), std::invalid_argument);
}

}  // namespace
