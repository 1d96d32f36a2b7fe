#pragma once
// Small helpers over 16-bit PCM: level, duration and int16 <-> float conversion.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace xz::audio {

// Root mean square in int16 units (0 for an empty span).
double rms(std::span<const std::int16_t> pcm);

// Length of `samples` frames at `sample_rate`, in milliseconds.
double duration_ms(std::size_t samples, int sample_rate);

// int16 -> float in [-1, 1).
std::vector<float> to_float(std::span<const std::int16_t> pcm);
// float -> int16, clamping values outside [-1, 1].
std::vector<std::int16_t> to_int16(std::span<const float> pcm);

}  // namespace xz::audio
