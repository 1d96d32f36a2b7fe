#pragma once
// MiniMax's streaming speech API over HTTP (type `minimax_httpstream`): one POST per
// sentence with "stream": true; the hex audio in its SSE-like answer is decoded and
// handed on line by line as it arrives.
//
// Config keys (the reference's): group_id and api_key (required), model (default
// speech-01-turbo), voice_id (default female-shaonv; private_voice wins), voice_setting,
// pronunciation_dict and audio_setting (merged over the reference's defaults: speed 1,
// vol 1, pitch 0, emotion happy; tone 处理/(chu3)(li3), 危险/dangerous; sample_rate
// 24000, bitrate 128000, format pcm, channel 1), timber_weights (a list of {voice_id,
// weight}; then voice_id is sent empty). Ours: endpoint (default
// https://api.minimaxi.com/v1/t2a_v2; GroupId is added), timeout (seconds, default 10),
// ca_file.
#include <string>

#include <nlohmann/json.hpp>

#include "providers/tts/http_speech.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class MinimaxTts : public TtsEngine {
 public:
  MinimaxTts(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  HttpTtsClient http_;
  std::string url_, api_key_;
  audio::AudioFormat format_;
  int sample_rate_ = 24000;
  nlohmann::json request_;  // without its text
};

}  // namespace xz::providers
