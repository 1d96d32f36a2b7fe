#pragma once
// Aliyun NLS one-shot TTS, `aliyun` (the reference's core/providers/tts/aliyun.py): one
// RESTful POST per sentence to https://{host}/stream/v1/tts with the NLS token in the
// JSON body; the answer is the audio file (decoded as it arrives), or a JSON error.
// Token: CreateToken's (cached until a minute before it expires, renewed and the request
// sent once more when the service answers 401) or the configured one (aliyun_token.h).
//
// Config keys (the reference's): appkey, token, access_key_id, access_key_secret, voice
// (xiaoyun; private_voice wins), format (wav | mp3 | pcm, default wav), sample_rate
// (16000), volume (0-100, 50), speech_rate (-500..500, 0), pitch_rate (-500..500, 0),
// host (nls-gateway-cn-shanghai.aliyuncs.com); ours: endpoint (the whole URL; http://
// accepted), token_url, timeout (seconds, 30), ca_file.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "providers/tts/aliyun_token.h"
#include "providers/tts/http_speech.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class AliyunTts : public TtsEngine {
 public:
  AliyunTts(const EngineConfig& cfg, ProviderContext& ctx);
  ~AliyunTts() override;
  // req.voice, when set, is the voice of this request.
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

  // The JSON body of one request, in the reference's key order.
  nlohmann::ordered_json request_body(const std::string& text, const std::string& token) const;
  const AliyunTokenSource& tokens() const { return *tokens_; }

 private:
  HttpTtsClient http_;
  std::string url_;
  std::string appkey_, voice_, format_name_;
  audio::AudioFormat format_;
  int sample_rate_ = 16000, volume_ = 50, speech_rate_ = 0, pitch_rate_ = 0;
  std::unique_ptr<AliyunTokenSource> tokens_;
};

}  // namespace xz::providers
