#pragma once
// Any self-hosted HTTP TTS (type `custom`): Kokoro-FastAPI, CosyVoice servers and the
// like, described entirely by the config entry; the answer is audio, decoded as it
// arrives.
//
// Config keys (the reference's): url (required; http or https), method (GET or POST,
// default GET), headers (a mapping), params (a mapping, or JSON text; every string value
// containing {prompt_text} gets the sentence there; GET sends them as the query, POST as
// a JSON body), format (of the answer: mp3, opus, aac, flac, wav or pcm, default wav).
// Ours: sample_rate (of pcm answers, default 24000), timeout (seconds, default 30), ca_file.
#include <string>

#include <nlohmann/json.hpp>

#include "providers/tts/http_speech.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class CustomTts : public TtsEngine {
 public:
  CustomTts(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  HttpTtsClient http_;
  std::string url_;
  bool post_ = false;
  net::HttpHeaders headers_;
  nlohmann::json params_;
  audio::AudioFormat format_;
  int sample_rate_ = 24000;
};

// `params` with {prompt_text} replaced by `text` in every string value (the reference's rule).
nlohmann::json custom_tts_params(const nlohmann::json& params, const std::string& text);

}  // namespace xz::providers
