#include "providers/tts/paddle_speech_tts.h"

#include <cmath>

#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>

#include "net/tls_client.h"
#include "protocol/encoding.h"
#include "protocol/json_text.h"
#include "providers/tts/engine_error.h"
#include "providers/tts/json_audio_body.h"
#include "providers/tts/speech_output.h"
#include "providers/tts/tts_config.h"
#include "providers/tts/tts_vendor_json.h"
#include "providers/tts/vendor_socket.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

constexpr const char* kEngine = "PaddleSpeech TTS";

}  // namespace

PaddleSpeechTts::PaddleSpeechTts(const EngineConfig& cfg, ProviderContext& ctx)
    : http_(kEngine, (llm_config::require_mapping(cfg), cfg), ctx, 60), pool_(&ctx.pool) {
  const std::string protocol = llm_config::opt_string(cfg, "protocol").value_or("websocket");
  if (protocol != "websocket" && protocol != "http")
    throw EngineConfigError(fmt::format("protocol: '{}' is not websocket or http", protocol));
  websocket_ = protocol == "websocket";
  url_ = websocket_ ? tts_config::endpoint(cfg, {"url"}, "ws://192.168.1.10:8092/paddlespeech/tts/streaming",
                                           {"ws", "wss"})
                    : tts_config::endpoint(cfg, {"url"}, "", {"http", "https"});
  const std::string spk = tts_config::voice(cfg, "spk_id", "0");
  try {
    std::size_t used = 0;
    spk_id_ = std::stoll(spk, &used);
    if (used != spk.size()) throw std::invalid_argument(spk);
  } catch (const std::exception&) {
    throw EngineConfigError(fmt::format("spk_id: '{}' is not a speaker number", spk));
  }
  sample_rate_ = llm_config::opt_positive(cfg, "sample_rate").value_or(24000);
  if (sample_rate_ < 1000 || sample_rate_ > 384000 || sample_rate_ != std::floor(sample_rate_))
    throw EngineConfigError("sample_rate: not a sample rate");
  speed_ = llm_config::opt_positive(cfg, "speed").value_or(1.0);
  volume_ = llm_config::opt_positive(cfg, "volume").value_or(1.0);
  save_path_ = llm_config::opt_string(cfg, "save_path").value_or("./streaming_tts.wav");
  timeout_ = llm_config::timeouts(cfg, 60).total;
  try {
    tls_ = std::make_shared<boost::asio::ssl::context>(
        net::make_tls_client_context(llm_config::opt_string(cfg, "ca_file").value_or(""), "", true));
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
  }
}

PaddleSpeechTts::~PaddleSpeechTts() = default;

boost::asio::awaitable<void> PaddleSpeechTts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  if (websocket_) {
    co_await with_engine_name(kEngine, speak_streaming(std::move(req), sink));
    co_return;
  }
  json body = {{"text", req.text}, {"spk_id", spk_id_},           {"speed", speed_},
               {"volume", volume_}, {"sample_rate", sample_rate_}, {"save_path", save_path_}};
  HttpSpeech call{http_.request("POST", url_),
                  std::make_unique<JsonAudioBody>(paddle_audio_field,
                                                  audio::make_audio_stream_decoder(audio::AudioFormat::sniff))};
  call.request.headers = {{"Content-Type", "application/json"}};
  call.request.body = body.dump();
  co_await http_.speak(std::move(call), sink);
}

boost::asio::awaitable<void> PaddleSpeechTts::speak_streaming(TtsRequest req, PcmSink& sink) {
  net::WsClientOptions opts;
  opts.tls_context = tls_;
  opts.max_message_bytes = 4 * 1024 * 1024;
  VendorConnection ws(co_await connect_vendor(url_, std::move(opts), std::min(timeout_, std::chrono::milliseconds(10000))));
  ws->send_text(json{{"task", "tts"}, {"signal", "start"}}.dump());
  const auto ready = parse_paddle_message((co_await next_vendor_message(*ws, timeout_)).data);
  if (ready.status != 0) throw std::runtime_error(fmt::format("the server refused to start: {}", ready.signal));

  ws->send_text(json{{"text", req.text}, {"spk_id", spk_id_}}.dump());
  SpeechOutput out(audio::make_audio_stream_decoder(audio::AudioFormat::pcm, static_cast<int>(sample_rate_)), sink,
                   *pool_);
  for (;;) {
    const auto msg = co_await next_vendor_message(*ws, timeout_);
    auto m = parse_paddle_message(msg.data);
    if (m.status == 2) break;
    if (!co_await out.push(m.audio)) co_return;
  }
  // The server expects the end signal and answers it before closing.
  ws->send_text(json{{"task", "tts"}, {"signal", "end"}, {"session", ready.session}}.dump());
  co_await out.finish();
  if (out.samples() == 0) throw std::runtime_error("the answer held no audio");
  ws.mark_done();
}

}  // namespace xz::providers
