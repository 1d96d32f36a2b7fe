#include "providers/tts/cozecn_tts.h"

#include <nlohmann/json.hpp>

#include "providers/tts/speech_output.h"
#include "providers/tts/tts_config.h"

namespace xz::providers {

CozeCnTts::CozeCnTts(const EngineConfig& cfg, ProviderContext& ctx)
    : http_("Coze TTS", (llm_config::require_mapping(cfg), cfg), ctx, 30) {
  url_ = tts_config::endpoint(cfg, {"endpoint"}, "https://api.coze.cn/v1/audio/speech", {"https", "http"});
  token_ = llm_config::opt_string(cfg, "access_token").value_or("");
  if (token_.empty()) throw EngineConfigError("access_token: missing (a Coze personal access token)");
  voice_ = tts_config::voice(cfg, "voice", "");
  if (voice_.empty()) throw EngineConfigError("voice: missing (a Coze voice_id)");
  model_ = llm_config::opt_string(cfg, "model");
  format_name_ = llm_config::opt_string(cfg, "response_format").value_or("wav");
  format_ = tts_config::audio_format(cfg, "response_format", "wav");
  if (auto r = llm_config::opt_integer(cfg, "sample_rate", 1000)) sample_rate_ = static_cast<int>(*r);
}

boost::asio::awaitable<void> CozeCnTts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  nlohmann::json body = {{"model", model_ ? nlohmann::json(*model_) : nlohmann::json(nullptr)},
                         {"input", req.text},
                         {"voice_id", req.voice.empty() ? voice_ : req.voice},
                         {"response_format", format_name_}};
  HttpSpeech call{http_.request("POST", url_), audio::make_audio_stream_decoder(format_, sample_rate_)};
  call.request.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  call.request.body = body.dump();
  co_await http_.speak(std::move(call), sink);
}

}  // namespace xz::providers
