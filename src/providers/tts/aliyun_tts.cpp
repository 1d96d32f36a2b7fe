#include "providers/tts/aliyun_tts.h"

#include <cmath>

#include <fmt/format.h>

#include "providers/llm/llm_config_wire.h"
#include "providers/tts/aliyun_answer_body.h"
#include "providers/tts/duplex_config.h"
#include "providers/tts/engine_error.h"
#include "providers/tts/python_dumps.h"
#include "providers/tts/speech_output.h"
#include "providers/tts/tts_config.h"

namespace xz::providers {

using llm_config::opt_string;

namespace {

constexpr const char* kEngine = "aliyun";

}  // namespace

AliyunTts::AliyunTts(const EngineConfig& cfg, ProviderContext& ctx)
    : http_(kEngine, (llm_config::require_mapping(cfg), cfg), ctx, 30) {
  const std::string host = opt_string(cfg, "host").value_or("nls-gateway-cn-shanghai.aliyuncs.com");
  url_ = tts_config::endpoint(cfg, {"endpoint"}, "https://" + host + "/stream/v1/tts", {"http", "https"});
  appkey_ = required_string(cfg, "appkey");
  voice_ = tts_config::voice(cfg, "voice", "xiaoyun");
  format_name_ = opt_string(cfg, "format").value_or("wav");
  if (format_name_ != "wav" && format_name_ != "mp3" && format_name_ != "pcm")
    throw EngineConfigError(fmt::format("format: '{}' is not wav, mp3 or pcm", format_name_));
  format_ = *audio::audio_format_from_name(format_name_);
  const double rate = bounded_number(cfg, "sample_rate", 8000, 48000, 16000);
  if (rate != std::floor(rate)) throw EngineConfigError("sample_rate: not a sample rate");
  sample_rate_ = static_cast<int>(rate);
  volume_ = static_cast<int>(bounded_number(cfg, "volume", 0, 100, 50));
  speech_rate_ = static_cast<int>(bounded_number(cfg, "speech_rate", -500, 500, 0));
  pitch_rate_ = static_cast<int>(bounded_number(cfg, "pitch_rate", -500, 500, 0));
  tokens_ = std::make_unique<AliyunTokenSource>(cfg, llm_config::timeouts(cfg, 30).total);
}

AliyunTts::~AliyunTts() = default;

nlohmann::ordered_json AliyunTts::request_body(const std::string& text, const std::string& token) const {
  // The reference's request_json, in its order, sent as json.dumps writes it.
  nlohmann::ordered_json b = {{"appkey", appkey_}, {"token", token}, {"text", text}, {"format", format_name_},
            {"sample_rate", sample_rate_}, {"voice", voice_}, {"volume", volume_}, {"speech_rate", speech_rate_},
            {"pitch_rate", pitch_rate_}};
  return b;
}

boost::asio::awaitable<void> AliyunTts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  std::size_t delivered = 0;
  PcmSink counting = [&](PcmChunk c) -> boost::asio::awaitable<bool> {
    delivered += c.samples.size();
    co_return co_await sink(std::move(c));
  };
  for (int attempt = 0;; ++attempt) {
    std::string token;
    co_await with_engine_name(kEngine, [&]() -> boost::asio::awaitable<void> { token = co_await tokens_->token(); }());
    HttpSpeech call{http_.request("POST", url_), aliyun_answer_body(format_, sample_rate_)};
    call.request.headers = {{"Content-Type", "application/json"}};
    auto body = request_body(req.text, token);
    if (!req.voice.empty()) body["voice"] = req.voice;
    call.request.body = python_dumps(body);
    int status = 0;
    call.status = &status;
    try {
      co_await http_.speak(std::move(call), counting);
      co_return;
    } catch (const std::runtime_error&) {
      // A refused CreateToken token (expired early, revoked): a new one, once, as the reference does.
      if (status != 401 || attempt > 0 || delivered > 0 || !tokens_->forget()) throw;
    }
  }
}

}  // namespace xz::providers
