#include "audio/pcm.h"

#include <algorithm>
#include <cmath>

namespace xz::audio {

double rms(std::span<const std::int16_t> pcm) {
  if (pcm.empty()) return 0.0;
  double sum = 0.0;
  for (std::int16_t s : pcm) sum += static_cast<double>(s) * s;
  return std::sqrt(sum / static_cast<double>(pcm.size()));
}

double duration_ms(std::size_t samples, int sample_rate) {
  if (sample_rate <= 0) return 0.0;
  return static_cast<double>(samples) * 1000.0 / sample_rate;
}

std::vector<float> to_float(std::span<const std::int16_t> pcm) {
  std::vector<float> out(pcm.size());
  std::transform(pcm.begin(), pcm.end(), out.begin(),
                 [](std::int16_t s) { return static_cast<float>(s) / 32768.0f; });
  return out;
}

std::vector<std::int16_t> to_int16(std::span<const float> pcm) {
  std::vector<std::int16_t> out(pcm.size());
  std::transform(pcm.begin(), pcm.end(), out.begin(), [](float f) {
    // NaN compares false everywhere; map it to silence rather than INT16_MIN.
    if (!(f == f)) return std::int16_t{0};
    float scaled = std::round(std::clamp(f, -1.0f, 1.0f) * 32768.0f);
    return static_cast<std::int16_t>(std::clamp(scaled, -32768.0f, 32767.0f));
  });
  return out;
}

}  // namespace xz::audio
