#pragma once
// Coze (China)'s speech API (type `cozecn`): one POST per sentence, the audio streamed
// back and decoded as it arrives.
//
// Config keys (the reference's): access_token (required; a personal access token),
// voice (a voice_id; private_voice wins), model (sent as configured, null when unset),
// response_format (default wav). Ours: endpoint (default
// https://api.coze.cn/v1/audio/speech), sample_rate (of pcm answers, default 24000),
// timeout (seconds, 30), ca_file.
#include <optional>
#include <string>

#include "providers/tts/http_speech.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class CozeCnTts : public TtsEngine {
 public:
  CozeCnTts(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  HttpTtsClient http_;
  std::string url_, token_, voice_, format_name_;
  std::optional<std::string> model_;
  audio::AudioFormat format_;
  int sample_rate_ = 24000;
};

}  // namespace xz::providers
