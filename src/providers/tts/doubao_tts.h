#pragma once
// Volcengine's (Doubao) one-shot speech API v1 (type `doubao`), also what 302.ai and
// Gizwits resell under the same type: one POST per sentence; the JSON answer carries
// the audio in base64.
//
// Config keys (the reference's): api_url (default
// https://openspeech.bytedance.com/api/v1/tts), authorization (the Authorization
// header's prefix before access_token, default "Bearer;"), access_token (required),
// appid, cluster, voice (private_voice wins), speed_ratio, volume_ratio, pitch_ratio
// (1.0 each), format (the encoding asked for: wav | mp3 | pcm | ogg_opus, default wav).
// Ours: sample_rate (of pcm answers, default 24000), timeout (seconds, 30), ca_file.
#include <string>

#include <nlohmann/json.hpp>

#include "providers/tts/http_speech.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class DoubaoTts : public TtsEngine {
 public:
  DoubaoTts(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  HttpTtsClient http_;
  std::string url_, authorization_;
  audio::AudioFormat format_;
  int sample_rate_ = 24000;
  nlohmann::json request_;  // without reqid and text
};

}  // namespace xz::providers
