#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "audio/pcm.h"
#include "support/speech.h"

TEST(Pcm, RmsOfKnownSignals) {
  EXPECT_EQ(xz::audio::rms(std::vector<std::int16_t>{}), 0.0);
  EXPECT_DOUBLE_EQ(xz::audio::rms(std::vector<std::int16_t>{1000, -1000, 1000, -1000}), 1000.0);
  EXPECT_DOUBLE_EQ(xz::audio::rms(std::vector<std::int16_t>{3, 4, 0, 0}), 2.5);
  // A sine's RMS is its amplitude / sqrt(2).
  auto sine = xz::test::tone(1.0, 100, 16000, 0.5);
  EXPECT_NEAR(xz::audio::rms(sine), 0.5 * 32767 / std::sqrt(2.0), 5.0);
}

TEST(Pcm, DurationInMilliseconds) {
  EXPECT_DOUBLE_EQ(xz::audio::duration_ms(960, 16000), 60.0);
  EXPECT_DOUBLE_EQ(xz::audio::duration_ms(1440, 24000), 60.0);
  EXPECT_DOUBLE_EQ(xz::audio::duration_ms(22050, 22050), 1000.0);
  EXPECT_EQ(xz::audio::duration_ms(100, 0), 0.0);
}

TEST(Pcm, FloatConversionRoundTripsAndClamps) {
  std::vector<std::int16_t> pcm{0, 1, -1, 16384, -16384, 32767, -32768};
  auto f = xz::audio::to_float(pcm);
  EXPECT_FLOAT_EQ(f[3], 0.5f);
  EXPECT_FLOAT_EQ(f[6], -1.0f);
  EXPECT_EQ(xz::audio::to_int16(f), pcm);
  std::vector<float> wild{2.0f, -3.0f, 0.25f, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(xz::audio::to_int16(wild), (std::vector<std::int16_t>{32767, -32768, 8192, 0}));
}
