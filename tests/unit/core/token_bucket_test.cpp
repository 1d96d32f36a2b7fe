#include "core/token_bucket.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using xz::core::TokenBucket;

// Uplink audio at 2x real time over a 2 s window: 2000 ms of audio a second, 4000 ms burst.
TEST(TokenBucket, ABurstOfItsCapacityPassesThenTheRate) {
  const auto t0 = TokenBucket::Clock::now();
  TokenBucket b(2000.0, 4000.0, t0);
  int passed = 0;
  for (int i = 0; i < 1000; ++i) passed += b.take(60.0, t0) ? 1 : 0;
  EXPECT_EQ(passed, 66) << "4000 ms of 60 ms frames";
  // One second later, two seconds of audio more.
  passed = 0;
  for (int i = 0; i < 1000; ++i) passed += b.take(60.0, t0 + 1s) ? 1 : 0;
  EXPECT_EQ(passed, 34);  // 2000 ms, plus the 40 ms left over from the burst
}

TEST(TokenBucket, RealTimeNeverRunsDry) {
  auto t = TokenBucket::Clock::now();
  TokenBucket b(2000.0, 4000.0, t);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(b.take(60.0, t)) << "frame " << i;
    t += 60ms;
  }
  EXPECT_DOUBLE_EQ(b.available(t), 4000.0) << "refills up to the capacity, not beyond";
}

TEST(TokenBucket, TurnsPerMinute) {
  const auto t0 = TokenBucket::Clock::now();
  TokenBucket b(20.0 / 60.0, 20.0, t0);
  int passed = 0;
  for (int i = 0; i < 100; ++i) passed += b.take(1, t0) ? 1 : 0;
  EXPECT_EQ(passed, 20);
  EXPECT_FALSE(b.take(1, t0 + 2s));
  EXPECT_TRUE(b.take(1, t0 + 3s)) << "one turn every 3 s after the burst";
  EXPECT_FALSE(b.take(1, t0 + 3s));
}
