#pragma once
// Silero VAD (config type "silero"): the ONNX model is loaded once by the engine and
// shared; each stream keeps its LSTM state, 64-sample context and < 512 pending samples.
// Inference runs on the worker pool.
#include <cstdint>
#include <memory>

#include "providers/provider_context.h"
#include "providers/vad/vad.h"

namespace xz::providers {

class SileroModel;
class TurnEndPolicy;

struct SileroVadOptions {
  double threshold = 0.5;      // p >= threshold: voiced
  double threshold_low = 0.3;  // p <= threshold_low: unvoiced; in between: unchanged
  std::uint64_t min_silence_samples = 3200;
  std::uint64_t pause_silence_samples = 1600;  // speculative_silence_ms; 0 = off
  // The end's silence after a partial transcript (adaptive_end_of_turn); null = off.
  std::shared_ptr<const TurnEndPolicy> turn_end;
};

class SileroVad : public VadEngine {
 public:
  // Config keys: model_path (empty = the fetched model), threshold, threshold_low,
  // min_silence_duration_ms, speculative_silence_ms, and the turn-end policy's
  // (adaptive_end_of_turn, complete_sentence_silence_ms, max_trailing_silence_ms, trailing_words). Throws EngineConfigError on bad values or a bad model.
  SileroVad(const EngineConfig& cfg, ProviderContext& ctx);
  ~SileroVad() override;

  std::unique_ptr<VadStream> open() override;
  const SileroVadOptions& options() const { return opts_; }

 private:
  std::shared_ptr<const SileroModel> model_;
  boost::asio::thread_pool& pool_;
  SileroVadOptions opts_;
};

}  // namespace xz::providers
