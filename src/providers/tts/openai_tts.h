#pragma once
// OpenAI-compatible speech synthesis (/audio/speech). Asks for any of the API's formats
// (raw "pcm": 24 kHz 16-bit mono, wav, mp3, opus, aac, flac) and decodes the answer as
// the body arrives (audio::AudioStreamDecoder), handing PCM to the sink before the
// vendor has finished sending.
//
// Config keys: api_url | url | base_url (the full /audio/speech URL), api_key, model
// (default tts-1), voice (default alloy; private_voice wins), speed (default 1),
// response_format | format (default pcm), sample_rate (of "pcm" answers, default
// 24000), timeout (seconds, default 30), ca_file (extra trusted CA, PEM).
#include <chrono>
#include <memory>
#include <string>

#include "providers/provider_context.h"
#include "providers/tts/tts.h"

namespace xz::net {
class HttpClient;
}

namespace xz::providers {

class OpenAiTts : public TtsEngine {
 public:
  // Throws EngineConfigError naming the key (e.g. "api_url: missing").
  OpenAiTts(const EngineConfig& cfg, ProviderContext& ctx);
  ~OpenAiTts() override;

  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  std::string url_;
  std::string api_key_;
  std::string model_;
  std::string voice_;
  double speed_ = 1.0;
  std::string name() const;  // how errors name the engine

  std::string format_ = "pcm";
  int pcm_rate_ = 24000;
  std::chrono::milliseconds timeout_{30000};
  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace xz::providers
