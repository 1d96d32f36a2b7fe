#include "providers/tts/minimax_tts.h"

#include <fmt/format.h>

#include "providers/tts/minimax_stream.h"
#include "providers/tts/speech_output.h"
#include "providers/tts/tts_config.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

// The reference's defaults with the configured mapping's keys over them.
json merged(const EngineConfig& cfg, const char* key, json defaults) {
  if (const json* v = llm_config::find(cfg, key)) {
    if (!v->is_object()) throw EngineConfigError(fmt::format("{}: not a mapping", key));
    for (const auto& [k, value] : v->items()) defaults[k] = value;
  }
  return defaults;
}

}  // namespace

MinimaxTts::MinimaxTts(const EngineConfig& cfg, ProviderContext& ctx)
    : http_("MiniMax TTS", (llm_config::require_mapping(cfg), cfg), ctx, 10) {
  const auto group_id = llm_config::opt_string(cfg, "group_id");
  if (!group_id) throw EngineConfigError("group_id: missing (the MiniMax account's GroupId)");
  api_key_ = llm_config::opt_string(cfg, "api_key").value_or("");
  if (api_key_.empty()) throw EngineConfigError("api_key: missing");
  url_ = with_query(tts_config::endpoint(cfg, {"endpoint"}, "https://api.minimaxi.com/v1/t2a_v2", {"https", "http"}),
                    python_query_string(json{{"GroupId", *group_id}}));

  json voice = merged(cfg, "voice_setting",
                      {{"voice_id", "female-shaonv"}, {"speed", 1}, {"vol", 1}, {"pitch", 0}, {"emotion", "happy"}});
  const std::string voice_id = tts_config::voice(cfg, "voice_id", "");
  if (!voice_id.empty()) voice["voice_id"] = voice_id;
  json audio_setting = merged(cfg, "audio_setting",
                              {{"sample_rate", 24000}, {"bitrate", 128000}, {"format", "pcm"}, {"channel", 1}});
  const json& format = audio_setting["format"];
  const auto parsed = format.is_string() ? audio::audio_format_from_name(format.get<std::string>()) : std::nullopt;
  if (!parsed) throw EngineConfigError("audio_setting.format: not pcm, mp3, flac or wav");
  format_ = *parsed;
  if (!audio_setting["sample_rate"].is_number_integer() || audio_setting["sample_rate"].get<int>() < 8000)
    throw EngineConfigError("audio_setting.sample_rate: not a sample rate");
  sample_rate_ = audio_setting["sample_rate"].get<int>();
  if (format_ == audio::AudioFormat::pcm && audio_setting["channel"] != 1)
    throw EngineConfigError("audio_setting.channel: pcm answers must be mono (1)");

  request_ = {{"model", llm_config::opt_string(cfg, "model").value_or("speech-01-turbo")},
              {"text", ""},
              {"stream", true},
              {"voice_setting", std::move(voice)},
              {"pronunciation_dict",
               merged(cfg, "pronunciation_dict", {{"tone", json::array({"处理/(chu3)(li3)", "危险/dangerous"})}})},
              {"audio_setting", std::move(audio_setting)}};
  if (const json* weights = llm_config::find(cfg, "timber_weights")) {
    if (!weights->is_array()) throw EngineConfigError("timber_weights: not a list");
    if (!weights->empty()) {
      request_["timber_weights"] = *weights;
      request_["voice_setting"]["voice_id"] = "";
    }
  }
}

boost::asio::awaitable<void> MinimaxTts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  json body = request_;
  body["text"] = req.text;
  if (!req.voice.empty() && !body.contains("timber_weights")) body["voice_setting"]["voice_id"] = req.voice;
  HttpSpeech call{http_.request("POST", url_),
                  std::make_unique<MinimaxStreamBody>(audio::make_audio_stream_decoder(format_, sample_rate_))};
  call.request.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + api_key_}};
  call.request.body = body.dump();
  co_await http_.speak(std::move(call), sink);
}

}  // namespace xz::providers
