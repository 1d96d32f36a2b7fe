#include "providers/tts/index_stream_tts.h"

#include <nlohmann/json.hpp>

#include "providers/tts/speech_output.h"
#include "providers/tts/tts_config.h"

namespace xz::providers {

IndexStreamTts::IndexStreamTts(const EngineConfig& cfg, ProviderContext& ctx)
    : http_("IndexTTS", (llm_config::require_mapping(cfg), cfg), ctx, 10) {
  url_ = tts_config::endpoint(cfg, {"api_url"}, "http://8.138.114.124:11996/tts", {"http", "https"});
  voice_ = tts_config::voice(cfg, "voice", "xiao_he");
  if (auto r = llm_config::opt_integer(cfg, "sample_rate", 1000)) sample_rate_ = static_cast<int>(*r);
}

boost::asio::awaitable<void> IndexStreamTts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  nlohmann::json body = {{"text", req.text}, {"character", req.voice.empty() ? voice_ : req.voice}};
  HttpSpeech call{http_.request("POST", url_), audio::make_audio_stream_decoder(audio::AudioFormat::pcm, sample_rate_)};
  call.request.headers = {{"Content-Type", "application/json"}};
  call.request.body = body.dump();
  co_await http_.speak(std::move(call), sink);
}

}  // namespace xz::providers
