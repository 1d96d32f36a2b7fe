#include "providers/vad/vad_smoother.h"

#include <bit>
#include <stdexcept>

namespace xz::providers {

VadSmoother::VadSmoother(VadSmootherOptions opts) : opts_(opts) {
  if (opts_.window < 1 || opts_.window > 32 || opts_.min_voiced < 1 || opts_.min_voiced > opts_.window)
    throw std::invalid_argument("VadSmoother: need 1 <= min_voiced <= window <= 32");
}

std::optional<VadEvent> VadSmoother::add(bool voiced, std::uint64_t frame_end) {
  const std::uint32_t mask = opts_.window == 32 ? ~0u : ((1u << opts_.window) - 1u);
  history_ = ((history_ << 1) | (voiced ? 1u : 0u)) & mask;
  const bool have_voice = std::popcount(history_) >= opts_.min_voiced;
  if (have_voice) {
    last_voice_end_ = frame_end;
    if (!in_speech_) {
      in_speech_ = true;
      return VadEvent{VadEvent::Kind::speech_start, frame_end};
    }
    return std::nullopt;
  }
  if (in_speech_ && frame_end - last_voice_end_ >= opts_.min_silence_samples) {
    in_speech_ = false;
    return VadEvent{VadEvent::Kind::speech_end, frame_end};
  }
  return std::nullopt;
}

void VadSmoother::reset() {
  history_ = 0;
  in_speech_ = false;
  last_voice_end_ = 0;
}

}  // namespace xz::providers
