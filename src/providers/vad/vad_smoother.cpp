#include "providers/vad/vad_smoother.h"

#include <bit>
#include <stdexcept>

namespace xz::providers {

VadSmoother::VadSmoother(VadSmootherOptions opts) : opts_(opts), end_silence_(opts.min_silence_samples) {
  if (opts_.window < 1 || opts_.window > 32 || opts_.min_voiced < 1 || opts_.min_voiced > opts_.window)
    throw std::invalid_argument("VadSmoother: need 1 <= min_voiced <= window <= 32");
}

std::optional<VadEvent> VadSmoother::add(bool voiced, std::uint64_t frame_end) {
  const std::uint32_t mask = opts_.window == 32 ? ~0u : ((1u << opts_.window) - 1u);
  history_ = ((history_ << 1) | (voiced ? 1u : 0u)) & mask;
  if (!in_speech_) {
    if (std::popcount(history_) < opts_.min_voiced) return std::nullopt;
    in_speech_ = true;
    last_voice_end_ = frame_end;
    end_silence_ = opts_.min_silence_samples;
    return VadEvent{VadEvent::Kind::speech_start, frame_end};
  }
  // In speech, silence runs from the last voiced frame itself: the smoothed "have voice"
  // outlives the speech by up to window - min_voiced frames (~100 ms of Silero windows),
  // which every turn would wait for.
  if (voiced) {
    last_voice_end_ = frame_end;
    if (!paused_) return std::nullopt;
    paused_ = false;
    return VadEvent{VadEvent::Kind::resume, frame_end};
  }
  const std::uint64_t silence = frame_end - last_voice_end_;
  if (silence < end_silence_) {
    if (paused_ || opts_.pause_silence_samples == 0 || silence < opts_.pause_silence_samples) return std::nullopt;
    paused_ = true;
    return VadEvent{VadEvent::Kind::pause, frame_end};
  }
  in_speech_ = false;
  paused_ = false;
  end_silence_ = opts_.min_silence_samples;
  history_ = 0;  // the next utterance needs min_voiced fresh frames, not this one's tail
  return VadEvent{VadEvent::Kind::speech_end, frame_end};
}

void VadSmoother::reset() {
  history_ = 0;
  in_speech_ = false;
  last_voice_end_ = 0;
  paused_ = false;
  end_silence_ = opts_.min_silence_samples;
}

void VadSmoother::set_end_silence(std::uint64_t samples) {
  if (in_speech_) end_silence_ = samples;
}

}  // namespace xz::providers
