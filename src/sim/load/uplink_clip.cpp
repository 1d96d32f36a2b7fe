#include "sim/load/uplink_clip.h"

#include <cstdlib>
#include <stdexcept>

#include "audio/opus_encoder.h"

namespace xz::sim {

namespace {
constexpr std::size_t kLoopPackets = 20;  // 1.2 s: spans DTX's periodic comfort-noise updates
}

const std::string& UplinkClip::at(std::size_t i) const {
  if (i < packets.size()) return packets[i];
  const std::size_t span = packets.size() - loop_from;
  return packets[loop_from + (i - packets.size()) % span];
}

std::vector<std::int16_t> trim_silence(std::span<const std::int16_t> pcm, int floor) {
  auto loud = [floor](std::int16_t s) { return std::abs(static_cast<int>(s)) >= floor; };
  std::size_t first = 0, last = pcm.size();
  while (first < last && !loud(pcm[first])) ++first;
  while (last > first && !loud(pcm[last - 1])) --last;
  return {pcm.begin() + static_cast<std::ptrdiff_t>(first), pcm.begin() + static_cast<std::ptrdiff_t>(last)};
}

UplinkClip make_uplink_clip(std::span<const std::int16_t> speech16k, std::chrono::milliseconds lead,
                            std::chrono::milliseconds tail) {
  auto speech = trim_silence(speech16k);
  if (speech.empty()) throw std::invalid_argument("uplink clip: the speech is silent");
  if (tail.count() < static_cast<long long>(kLoopPackets) * UplinkClip::kFrameMs)
    throw std::invalid_argument("uplink clip: the trailing silence must be at least 1.2 s");

  const std::size_t n = UplinkClip::kFrameSamples;
  const std::size_t lead_frames = static_cast<std::size_t>(lead.count()) / UplinkClip::kFrameMs;
  const std::size_t speech_frames = (speech.size() + n - 1) / n;
  const std::size_t tail_frames = (static_cast<std::size_t>(tail.count()) + UplinkClip::kFrameMs - 1) / UplinkClip::kFrameMs;

  std::vector<std::int16_t> pcm(lead_frames * n, 0);
  pcm.insert(pcm.end(), speech.begin(), speech.end());
  pcm.resize((lead_frames + speech_frames + tail_frames) * n, 0);

  // The firmware's uplink encoder.
  audio::OpusEncoder enc(16000, UplinkClip::kFrameMs, 0, audio::OpusEncoder::kBitrateAuto);
  enc.set_dtx(true);
  UplinkClip clip;
  clip.packets.reserve(pcm.size() / n);
  for (std::size_t at = 0; at < pcm.size(); at += n)
    clip.packets.push_back(enc.encode(std::span<const std::int16_t>(pcm.data() + at, n)));
  clip.speech_first = lead_frames;
  clip.speech_last = lead_frames + speech_frames - 1;
  clip.loop_from = clip.packets.size() - kLoopPackets;
  return clip;
}

}  // namespace xz::sim
