#pragma once
// WebRTC's GMM VAD (config type "webrtc") from libwebrtc-audio-processing: 30 ms frames,
// ~3 us each, so it runs inline on the caller's loop. It fires on any tonal sound
// (a pure tone counts as voice); Silero is the better detector, this one needs no model.
#include <cstdint>
#include <memory>

#include "providers/provider_context.h"
#include "providers/vad/vad.h"

namespace xz::providers {

class TurnEndPolicy;

struct WebRtcVadOptions {
  int mode = 2;  // aggressiveness 0 (least) .. 3 (most)
  std::uint64_t min_silence_samples = 3200;
  std::uint64_t pause_silence_samples = 1600;  // speculative_silence_ms; 0 = off
  // The end's silence after a partial transcript (adaptive_end_of_turn); null = off.
  std::shared_ptr<const TurnEndPolicy> turn_end;
};

class WebRtcVad : public VadEngine {
 public:
  // Config keys: mode (0-3), min_silence_duration_ms, speculative_silence_ms, and the turn-end policy's
  // (adaptive_end_of_turn, complete_sentence_silence_ms, max_trailing_silence_ms, trailing_words). Throws EngineConfigError.
  WebRtcVad(const EngineConfig& cfg, ProviderContext& ctx);

  std::unique_ptr<VadStream> open() override;
  const WebRtcVadOptions& options() const { return opts_; }

 private:
  WebRtcVadOptions opts_;
};

}  // namespace xz::providers
