#pragma once
// Local neural TTS through sherpa-onnx's C API, config type `sherpa_onnx_local` (the
// reference has no local neural TTS; the name matches our local ASR's). VITS (MeloTTS is
// a VITS model to sherpa-onnx), Matcha and Kokoro model directories as sherpa-onnx
// publishes them; the model is loaded once per distinct entry (the engine cache shares
// the engine) and speaks on the worker pool, a sentence at a time.
//
// Keys: model_type (vits | matcha | kokoro), model_dir (the files are found there), or
// the files one by one: model, tokens, lexicon, data_dir, dict_dir, voices, vocoder,
// rule_fsts (each overrides what model_dir gives); speaker_id, speed, num_threads, lang.
// config/config.yaml documents them.
#include <memory>
#include <string>

#include "providers/provider_context.h"
#include "providers/tts/sherpa_synthesizer.h"
#include "providers/tts/tts.h"

namespace xz::providers {

struct SherpaOnnxTtsOptions {
  SherpaTtsModel model;
  int speaker_id = 0;
  float speed = 1.0f;
};

// Reads a sherpa_onnx_local TTS entry and finds its files. Throws EngineConfigError
// naming the key; a model_dir without the files names the directory, the files expected
// and where to get a model.
SherpaOnnxTtsOptions read_sherpa_onnx_tts_options(const EngineConfig& cfg);

class SherpaOnnxTts : public TtsEngine {
 public:
  // Loads the model (blocking). Throws EngineConfigError when it cannot.
  SherpaOnnxTts(const SherpaOnnxTtsOptions& options, ProviderContext& ctx);
  SherpaOnnxTts(const EngineConfig& cfg, ProviderContext& ctx);
  ~SherpaOnnxTts() override;

  // req.voice, when a speaker number, picks the speaker; else speaker_id does.
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

  int sample_rate() const { return synth_->sample_rate(); }
  SherpaSynthesizer::Stats stats() const { return synth_->stats(); }

 private:
  std::shared_ptr<SherpaSynthesizer> synth_;
  int speaker_id_;
  float speed_;
};

}  // namespace xz::providers
