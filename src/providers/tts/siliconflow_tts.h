#pragma once
// SiliconFlow's CosyVoice speech API (type `siliconflow`): one POST per sentence, the
// audio streamed back and decoded as it arrives.
//
// Config keys (the reference's): access_token (required), model (default
// FunAudioLLM/CosyVoice2-0.5B), voice (default alex; a name without "<model>:" gets that
// prefix; private_voice wins as it is), response_format (mp3 | opus | wav | pcm, default
// mp3), speed (default 1), gain (dB, default 0). Ours: endpoint (default
// https://api.siliconflow.cn/v1/audio/speech), sample_rate (asked of the API when set;
// the rate of pcm answers, default 44100), timeout (seconds, default 30), ca_file.
#include <optional>
#include <string>

#include "providers/tts/http_speech.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class SiliconFlowTts : public TtsEngine {
 public:
  SiliconFlowTts(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  HttpTtsClient http_;
  std::string url_, token_, model_, voice_, format_name_;
  audio::AudioFormat format_;
  double speed_ = 1, gain_ = 0;
  std::optional<int> sample_rate_;
};

}  // namespace xz::providers
