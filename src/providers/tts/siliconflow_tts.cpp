#include "providers/tts/siliconflow_tts.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "providers/tts/speech_output.h"
#include "providers/tts/tts_config.h"

namespace xz::providers {

SiliconFlowTts::SiliconFlowTts(const EngineConfig& cfg, ProviderContext& ctx)
    : http_("SiliconFlow TTS", (llm_config::require_mapping(cfg), cfg), ctx, 30) {
  url_ = tts_config::endpoint(cfg, {"endpoint"}, "https://api.siliconflow.cn/v1/audio/speech", {"https", "http"});
  token_ = llm_config::opt_string(cfg, "access_token").value_or("");
  if (token_.empty()) throw EngineConfigError("access_token: missing (SiliconFlow's API key)");
  model_ = llm_config::opt_string(cfg, "model").value_or("FunAudioLLM/CosyVoice2-0.5B");
  if (auto p = llm_config::opt_string(cfg, "private_voice")) {
    voice_ = *p;
  } else {
    voice_ = llm_config::opt_string(cfg, "voice").value_or("alex");
    if (voice_.find(':') == std::string::npos) voice_ = model_ + ":" + voice_;
  }
  format_name_ = llm_config::opt_string(cfg, "response_format").value_or("mp3");
  format_ = tts_config::audio_format(cfg, "response_format", "mp3");
  speed_ = llm_config::opt_positive(cfg, "speed").value_or(1.0);
  if (speed_ < 0.25 || speed_ > 4) throw EngineConfigError("speed: must be between 0.25 and 4");
  gain_ = llm_config::opt_number(cfg, "gain").value_or(0.0);
  if (auto r = llm_config::opt_integer(cfg, "sample_rate", 8000)) sample_rate_ = static_cast<int>(*r);
}

boost::asio::awaitable<void> SiliconFlowTts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  nlohmann::json body = {{"model", model_},       {"input", req.text}, {"voice", req.voice.empty() ? voice_ : req.voice},
                         {"response_format", format_name_}, {"stream", true},     {"speed", speed_},
                         {"gain", gain_}};
  if (sample_rate_) body["sample_rate"] = *sample_rate_;
  HttpSpeech call{http_.request("POST", url_), audio::make_audio_stream_decoder(format_, sample_rate_.value_or(44100))};
  call.request.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  call.request.body = body.dump();
  co_await http_.speak(std::move(call), sink);
}

}  // namespace xz::providers
