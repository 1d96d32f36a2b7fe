#pragma once
// The uplink of one simulated turn, encoded once and replayed by every device: silence
// while the user thinks, the spoken sentence, then silence until the reply starts.
// Encoded as the firmware does (16 kHz mono, 60 ms frames, complexity 0, automatic
// bit rate, DTX), so silence travels as the same tiny packets a real device sends.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace xz::sim {

struct UplinkClip {
  static constexpr int kFrameMs = 60;
  static constexpr int kFrameSamples = 960;  // 60 ms at 16 kHz

  std::vector<std::string> packets;
  std::size_t speech_first = 0;  // first packet holding speech
  std::size_t speech_last = 0;   // packet holding the end of speech
  std::size_t loop_from = 0;     // past the end, packets [loop_from, size) repeat

  // Packet i of the endless stream (the trailing silence repeats).
  const std::string& at(std::size_t i) const;
};

// Throws std::invalid_argument when `speech` has no sample above the silence floor or
// `tail` is shorter than 1.2 s (the repeated stretch).
UplinkClip make_uplink_clip(std::span<const std::int16_t> speech16k, std::chrono::milliseconds lead,
                            std::chrono::milliseconds tail);

// `pcm` without the leading and trailing samples whose magnitude stays below `floor`,
// so "end of speech" is where the voice stops, not where the synthesizer's padding does.
std::vector<std::int16_t> trim_silence(std::span<const std::int16_t> pcm, int floor = 64);

}  // namespace xz::sim
