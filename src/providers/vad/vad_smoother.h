#pragma once
// Turns per-frame voiced/unvoiced decisions into speech_start / speech_end events.
// Speech starts as in the reference: at least `min_voiced` of the last `window` frames
// voiced (one blip never starts a turn). It ends exactly `min_silence_samples` after the
// end of the last voiced frame (no smoothing there: it would only delay every turn).
// With pause_silence_samples (0 = off; off too when >= min_silence_samples) a shorter
// silence reports one `pause` before the end, and voice after it one `resume`.
// The end's silence can be overridden for the utterance in progress (the turn-end
// policy's answer for a partial transcript); speech start and reset() drop the override.
// Time is counted in samples, so the same audio always gives the same events.
#include <cstdint>
#include <optional>

#include "providers/vad/vad.h"

namespace xz::providers {

struct VadSmootherOptions {
  int window = 5;
  int min_voiced = 3;
  std::uint64_t min_silence_samples = 3200;  // 200 ms at 16 kHz
  std::uint64_t pause_silence_samples = 0;   // 1600 = 100 ms
};

class VadSmoother {
 public:
  // Throws std::invalid_argument unless 1 <= min_voiced <= window <= 32.
  explicit VadSmoother(VadSmootherOptions opts);

  // One frame's decision; frame_end = stream position (samples) just after the frame.
  std::optional<VadEvent> add(bool voiced, std::uint64_t frame_end);
  bool in_speech() const { return in_speech_; }
  // The silence that ends the current utterance instead of min_silence_samples; ignored
  // outside speech.
  void set_end_silence(std::uint64_t samples);
  void reset();

 private:
  VadSmootherOptions opts_;
  std::uint32_t history_ = 0;  // bit i = decision of the i-th most recent frame
  bool in_speech_ = false;
  std::uint64_t last_voice_end_ = 0;
  bool paused_ = false;  // a pause was reported in this silence
  std::uint64_t end_silence_ = 0;  // of the current utterance
};

}  // namespace xz::providers
