#pragma once
// Local recognition through sherpa-onnx: SenseVoice (Chinese, English, Japanese, Korean,
// Cantonese, with language, emotion and event) or Paraformer, config types
// `sherpa_onnx_local` and `fun_local` (the reference's keys; fun_local_asr.h). A stream
// collects the utterance; finish() hands it to the engine's one shared recognizer, which
// decodes it on the worker pool together with other sessions' utterances waiting then.
//
// sherpa_onnx_local keys (the reference's): model_dir (holding model.int8.onnx or
// model.onnx, and tokens.txt), model_type (sense_voice | paraformer), output_dir (accepted,
// unused: no audio files are kept). Ours: language, use_itn, num_threads, max_batch,
// max_seconds (config/config.yaml documents them).
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "providers/asr/asr.h"
#include "providers/asr/sherpa_recognizer.h"
#include "providers/provider_context.h"

namespace xz::providers {

// model.int8.onnx (else model.onnx) and tokens.txt in `dir`; nullopt when either is missing.
struct OnnxExport {
  std::string model, tokens;
};
std::optional<OnnxExport> find_onnx_export(const std::string& dir);

struct SherpaOnnxAsrOptions {
  SherpaModel model;
  std::size_t max_samples = 30 * 16000;  // longest utterance kept; the rest is dropped
};

// Reads a sherpa_onnx_local entry. Throws EngineConfigError naming the key.
SherpaOnnxAsrOptions read_sherpa_onnx_options(const EngineConfig& cfg);
// The keys both local types share (language, use_itn, num_threads, max_batch,
// max_seconds) into `o`. Throws EngineConfigError naming the key.
void read_sherpa_tuning(const EngineConfig& cfg, SherpaOnnxAsrOptions& o);

class SherpaOnnxAsr : public AsrEngine {
 public:
  // Loads the model (blocking). Throws EngineConfigError when it cannot.
  SherpaOnnxAsr(const SherpaOnnxAsrOptions& options, ProviderContext& ctx);
  // The sherpa_onnx_local entry `cfg`.
  SherpaOnnxAsr(const EngineConfig& cfg, ProviderContext& ctx);
  ~SherpaOnnxAsr() override;

  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;

  // The shared recognizer's counters (tests, diagnostics).
  SherpaRecognizer::Stats stats() const;

 private:
  std::shared_ptr<SherpaRecognizer> recognizer_;
  std::size_t max_samples_;
};

}  // namespace xz::providers
