#pragma once
// flite (CMU, permissive licence), in process: English speech at 16 kHz. Synthesis
// runs on the worker pool and streams through flite's audio callback, so the first
// ~100 ms chunk leaves after the text analysis, before the vocoder has finished
// the sentence.
//
// Threads: after the one-time voice registration, concurrent syntheses with the
// shared voice touch no shared mutable state (checked with helgrind: the only
// reports are glibc's internally locked rand()), so syntheses run in parallel.
// Each one keeps its streaming settings on its own utterance, never on the voice.
#include <cstddef>

#include <boost/asio/thread_pool.hpp>

#include "providers/provider_context.h"
#include "providers/tts/tts.h"

struct cst_voice_struct;  // flite

namespace xz::providers {

class FliteTts : public TtsEngine {
 public:
  static constexpr int kSampleRate = 16000;
  // Bounds one synthesis; longer output ends with an error.
  static constexpr double kMaxAudioSeconds = 600;

  // Config: voice = "slt" (the only voice linked in; "cmu_us_slt" also accepted).
  // Throws EngineConfigError for anything else.
  FliteTts(const EngineConfig& cfg, ProviderContext& ctx);

  // Delivers ~100 ms chunks at 16 kHz. Throws std::runtime_error if flite fails;
  // cancellation throws boost::system::system_error(operation_aborted).
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  boost::asio::thread_pool& pool_;
  // Registered once per process by flite itself and never freed: it is a global
  // inside the voice library (register_cmu_us_slt returns the same object).
  cst_voice_struct* voice_;
};

}  // namespace xz::providers
