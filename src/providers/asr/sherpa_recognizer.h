#pragma once
// One sherpa-onnx offline recognizer (SenseVoice or Paraformer) shared by every session
// of the engine that owns it: the model is loaded once; utterances decode on the worker
// pool, and those waiting at the same moment decode together in one model run
// (SherpaOnnxDecodeMultipleOfflineStreams), at most `max_batch` at a time.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "providers/asr/asr.h"

namespace xz::core {
class Metrics;
}

namespace xz::providers {

struct SherpaModel {
  enum class Type { sense_voice, paraformer };
  Type type = Type::sense_voice;
  std::string model;   // the .onnx file
  std::string tokens;  // tokens.txt
  std::string language = "auto";  // SenseVoice: auto, zh, en, ja, ko, yue
  bool use_itn = true;            // SenseVoice: punctuation and numbers as digits
  int num_threads = 2;            // ONNX Runtime threads of one model run
  std::size_t max_batch = 8;      // utterances in one model run
  std::size_t max_waiting = 64;   // utterances queued; more are refused
};

class SherpaRecognizer {
 public:
  // Blocking: loads the model. `metrics` (may be null) gets the counters
  // xiaozhi_asr_local_{utterances,samples,model_runs}_total, summed over recognizers. Throws std::runtime_error naming what is wrong (another
  // sherpa-onnx version than sherpa_onnx_c_api.h matches, a missing file, a model
  // without the metadata sherpa-onnx needs, a model sherpa-onnx cannot load).
  SherpaRecognizer(const SherpaModel& model, boost::asio::thread_pool& workers, core::Metrics* metrics = nullptr);
  ~SherpaRecognizer();
  SherpaRecognizer(const SherpaRecognizer&) = delete;
  SherpaRecognizer& operator=(const SherpaRecognizer&) = delete;

  // The transcript of one utterance (16 kHz mono), tags parsed out. Resumes on the
  // caller's executor. Throws std::runtime_error when `max_waiting` utterances are
  // already queued or the decode fails.
  boost::asio::awaitable<AsrResult> recognize(std::vector<std::int16_t> pcm);

  struct Stats {
    std::uint64_t utterances = 0;     // decoded
    std::uint64_t samples = 0;        // in those utterances
    std::uint64_t model_runs = 0;     // decode calls (a batch is one)
    std::uint64_t largest_batch = 0;  // most utterances in one run
  };
  Stats stats() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace xz::providers
