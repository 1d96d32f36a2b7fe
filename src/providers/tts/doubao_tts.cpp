#include "providers/tts/doubao_tts.h"

#include <fmt/format.h>

#include "protocol/encoding.h"
#include "providers/tts/json_audio_body.h"
#include "providers/tts/speech_output.h"
#include "providers/tts/tts_config.h"
#include "providers/tts/tts_vendor_json.h"

namespace xz::providers {

using json = nlohmann::json;

DoubaoTts::DoubaoTts(const EngineConfig& cfg, ProviderContext& ctx)
    : http_("Doubao TTS", (llm_config::require_mapping(cfg), cfg), ctx, 30) {
  url_ = tts_config::endpoint(cfg, {"api_url"}, "https://openspeech.bytedance.com/api/v1/tts", {"https", "http"});
  const auto token = llm_config::opt_string(cfg, "access_token");
  if (!token) throw EngineConfigError("access_token: missing");
  authorization_ = llm_config::opt_string(cfg, "authorization").value_or("Bearer;") + *token;
  const std::string encoding = llm_config::opt_string(cfg, "format").value_or("wav");
  const auto format = audio::audio_format_from_name(encoding == "ogg_opus" ? "opus" : encoding);
  if (!format) throw EngineConfigError(fmt::format("format: '{}' is not wav, mp3, pcm or ogg_opus", encoding));
  format_ = *format;
  if (auto r = llm_config::opt_integer(cfg, "sample_rate", 1000)) sample_rate_ = static_cast<int>(*r);
  request_ = {
      {"app",
       {{"appid", llm_config::opt_string(cfg, "appid").value_or("")},
        {"token", *token},
        {"cluster", llm_config::opt_string(cfg, "cluster").value_or("volcano_tts")}}},
      {"user", {{"uid", "1"}}},
      {"audio",
       {{"voice_type", tts_config::voice(cfg, "voice", "BV001_streaming")},
        {"encoding", encoding},
        {"speed_ratio", llm_config::opt_number(cfg, "speed_ratio").value_or(1.0)},
        {"volume_ratio", llm_config::opt_number(cfg, "volume_ratio").value_or(1.0)},
        {"pitch_ratio", llm_config::opt_number(cfg, "pitch_ratio").value_or(1.0)}}},
      {"request",
       {{"reqid", ""}, {"text", ""}, {"text_type", "plain"}, {"operation", "query"}, {"with_frontend", 1},
        {"frontend_type", "unitTson"}}}};
}

boost::asio::awaitable<void> DoubaoTts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  json body = request_;
  body["request"]["reqid"] = protocol::hex_encode(protocol::random_bytes(16));
  body["request"]["text"] = req.text;
  if (!req.voice.empty()) body["audio"]["voice_type"] = req.voice;
  HttpSpeech call{http_.request("POST", url_),
                  std::make_unique<JsonAudioBody>(doubao_audio_field,
                                                  audio::make_audio_stream_decoder(format_, sample_rate_))};
  // Sent as the reference sends it: JSON text without a Content-Type.
  call.request.headers = {{"Authorization", authorization_}};
  call.request.body = body.dump();
  co_await http_.speak(std::move(call), sink);
}

}  // namespace xz::providers
