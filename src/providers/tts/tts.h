#pragma once
// Text to speech. PCM leaves the engine in chunks as it is made, so the first frame
// can be encoded and sent before the sentence is fully synthesized.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace xz::providers {

struct PcmChunk {
  std::vector<std::int16_t> samples;  // mono
  int sample_rate = 16000;
};

// Receives chunks on the caller's executor; returning false stops synthesis
// (the turn was cancelled).
using PcmSink = std::function<boost::asio::awaitable<bool>(PcmChunk)>;

struct TtsRequest {
  std::string text;
  std::string voice;     // "" = the engine's configured voice
  std::string language;  // BCP-47-ish hint, e.g. "en", "zh"
};

class TtsEngine {
 public:
  virtual ~TtsEngine() = default;
  // Synthesizes one segment. Throws std::runtime_error on engine failure. Cancelling
  // the awaiting coroutine stops the work as soon as the engine allows.
  virtual boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) = 0;
};

}  // namespace xz::providers
