#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "audio/pcm.h"
#include "audio/resampler.h"
#include "support/speech.h"

using xz::audio::Resampler;
using xz::audio::resample_once;

namespace {

// Frequency from rising zero crossings, ignoring the edges where the filter settles.
double measured_hz(const std::vector<std::int16_t>& pcm, int rate) {
  std::size_t skip = static_cast<std::size_t>(rate / 20);
  int crossings = 0;
  std::size_t first = 0, last = 0;
  for (std::size_t i = skip + 1; i + skip < pcm.size(); ++i) {
    if (pcm[i - 1] < 0 && pcm[i] >= 0) {
      if (crossings == 0) first = i;
      last = i;
      ++crossings;
    }
  }
  if (crossings < 2) return 0;
  return (crossings - 1) * static_cast<double>(rate) / static_cast<double>(last - first);
}

std::vector<std::int16_t> streamed(Resampler& r, const std::vector<std::int16_t>& in, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::int16_t> out;
  std::span<const std::int16_t> rest(in);
  while (!rest.empty()) {
    auto n = std::min<std::size_t>(rest.size(), std::uniform_int_distribution<std::size_t>(1, 2500)(rng));
    auto part = r.process(rest.first(n));
    out.insert(out.end(), part.begin(), part.end());
    rest = rest.subspan(n);
  }
  auto tail = r.flush();
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

}  // namespace

TEST(Resampler, OneSecondAt16kBecomes24000Samples) {
  auto out = resample_once(xz::test::tone(1.0, 440), 16000, 24000);
  EXPECT_NEAR(static_cast<double>(out.size()), 24000.0, 2.0);
}

TEST(Resampler, SineKeepsItsFrequencyAndLevel) {
  struct Case {
    int in, out;
  };
  for (auto c : {Case{16000, 24000}, Case{22050, 24000}, Case{24000, 16000}, Case{22050, 16000}}) {
    auto in = xz::test::tone(1.0, 1000, c.in, 0.5);
    auto out = resample_once(in, c.in, c.out);
    EXPECT_NEAR(measured_hz(out, c.out), 1000.0, 2.0) << c.in << " -> " << c.out;
    EXPECT_NEAR(xz::audio::rms(out) / xz::audio::rms(in), 1.0, 0.02) << c.in << " -> " << c.out;
  }
}

TEST(Resampler, DownsamplingRemovesWhatNoLongerFits) {
  // 10 kHz is above the 8 kHz Nyquist limit of 16 kHz audio: it must not alias back in.
  auto in = xz::test::tone(1.0, 10000, 24000, 0.5);
  auto out = resample_once(in, 24000, 16000);
  EXPECT_LT(xz::audio::rms(out), xz::audio::rms(in) / 100);
}

TEST(Resampler, StreamingInAnyChunksMatchesOneShot) {
  auto in = xz::test::flite_speech("Chunk boundaries must not be audible.");
  auto whole = resample_once(in, 16000, 24000);
  Resampler r(16000, 24000);
  auto a = streamed(r, in, 1);
  auto b = streamed(r, in, 2);  // flush() readied it for a second stream
  ASSERT_EQ(a.size(), whole.size());
  ASSERT_EQ(b.size(), whole.size());
  int max_diff = 0;
  for (std::size_t i = 0; i < whole.size(); ++i)
    max_diff = std::max({max_diff, std::abs(a[i] - whole[i]), std::abs(b[i] - whole[i])});
  EXPECT_LE(max_diff, 1);
}

TEST(Resampler, EqualRatesPassThroughExactly) {
  auto in = xz::test::flite_speech("Same rate.");
  Resampler r(16000, 16000);
  EXPECT_EQ(r.process(in), in);
  EXPECT_TRUE(r.flush().empty());
}

TEST(Resampler, SilenceStaysDigitalSilence) {
  auto out = resample_once(xz::test::silence(0.5), 16000, 24000);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(xz::audio::rms(out), 0.0);
}

TEST(Resampler, RejectsBadRates) {
  EXPECT_THROW(Resampler(0, 16000), std::invalid_argument);
  EXPECT_THROW(Resampler(16000, -1), std::invalid_argument);
  EXPECT_THROW(Resampler(16000, 1000000), std::invalid_argument);
}
