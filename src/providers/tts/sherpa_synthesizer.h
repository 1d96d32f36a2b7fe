#pragma once
// One sherpa-onnx offline TTS model (VITS / MeloTTS, Matcha or Kokoro) shared by every
// session of the engine that owns it: loaded once; texts are synthesized on the worker
// pool, one at a time (a model run already uses num_threads cores), and each sentence's
// PCM is handed back as sherpa-onnx produces it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "providers/tts/tts.h"

namespace xz::core {
class Metrics;
}

namespace xz::providers {

struct SherpaTtsModel {
  enum class Type { vits, matcha, kokoro };
  Type type = Type::vits;
  std::string model;     // VITS / Kokoro model, Matcha acoustic model
  std::string tokens;
  std::string lexicon;   // optional; Kokoro: several, comma-separated
  std::string data_dir;  // espeak-ng-data; optional
  std::string dict_dir;  // jieba's dict; optional
  std::string voices;    // Kokoro voices.bin
  std::string vocoder;   // Matcha vocoder
  std::string rule_fsts; // comma-separated text normalisation FSTs; optional
  std::string lang;      // Kokoro multi-lingual: the language of the text; optional
  int num_threads = 2;
  std::size_t max_waiting = 64;  // texts queued; more are refused
  double max_seconds = 600;      // audio of one text; more ends it with an error
};

class SherpaSynthesizer {
 public:
  // Blocking: checks the files and loads the model. `metrics` (may be null) gets
  // xiaozhi_tts_local_{texts,samples}_total. Throws std::runtime_error naming what is
  // wrong (another sherpa-onnx version, a missing file, metadata sherpa-onnx would end
  // the process on, a model it refuses).
  SherpaSynthesizer(const SherpaTtsModel& model, boost::asio::thread_pool& workers, core::Metrics* metrics = nullptr);
  ~SherpaSynthesizer();
  SherpaSynthesizer(const SherpaSynthesizer&) = delete;
  SherpaSynthesizer& operator=(const SherpaSynthesizer&) = delete;

  int sample_rate() const;
  int num_speakers() const;

  // Speaks `text` with speaker `sid` at `speed` (1 = the model's pace), PCM to `sink` at
  // sample_rate() as each sentence is made; the caller's executor runs the sink. Returns
  // early when the sink says stop (the rest is not synthesized). Throws
  // std::runtime_error when max_waiting texts are queued or synthesis fails;
  // cancellation stops the work at the next sentence and throws operation_aborted.
  boost::asio::awaitable<void> speak(std::string text, int sid, float speed, PcmSink& sink);

  struct Stats {
    std::uint64_t texts = 0;    // synthesized (to the end or stopped)
    std::uint64_t samples = 0;  // delivered by sherpa-onnx
    std::uint64_t chunks = 0;   // callbacks with audio
  };
  Stats stats() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace xz::providers
