#pragma once
// espeak-ng as a child process (core::ChildProcess), so its GPL code never links into
// this binary:
// `espeak-ng -v <voice> --stdout --stdin`, the text written to its stdin (no quoting,
// no length limit on a command line), its streamed 22050 Hz WAV read asynchronously
// on the caller's executor and delivered in ~100 ms chunks as it arrives.
// Very fast (RTF ~0.001) and many languages; robotic formant speech.
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/thread_pool.hpp>

#include "providers/provider_context.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class EspeakTts : public TtsEngine {
 public:
  // Bounds one synthesis; longer output kills the child and ends with an error.
  static constexpr double kMaxAudioSeconds = 600;

  // Config: voice ("en-us"), voice_zh ("cmn-latn-pinyin", used when the text is
  // mostly Chinese characters), speed (words per minute, 80-450, optional),
  // binary ("espeak-ng", looked up in PATH). Throws EngineConfigError.
  EspeakTts(const EngineConfig& cfg, ProviderContext& ctx);

  // Throws std::runtime_error when espeak-ng cannot start or exits non-zero (with
  // its stderr text). Cancellation or a sink returning false kills the child at once;
  // it is reaped off the loop. Cancellation throws operation_aborted.
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

  // The voice a request gets: req.voice if set, else voice_zh for mostly-CJK text
  // or a "zh" language hint, else voice.
  std::string voice_for(const TtsRequest& req) const;

 private:
  boost::asio::thread_pool& pool_;
  std::string binary_;
  std::string voice_;
  std::string voice_zh_;
  std::optional<int> speed_;
};

// True when CJK ideographs outnumber Latin words (runs of ASCII letters and digits) in
// UTF-8 `text`: one hanzi is about one syllable, so it weighs like a short word.
bool mostly_cjk(std::string_view text);

}  // namespace xz::providers
