#include "providers/tts/edge_tts.h"

#include <cmath>
#include <ctime>

#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/tls_client.h"
#include "net/websocket.h"
#include "protocol/encoding.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/tts/engine_error.h"
#include "providers/tts/speech_output.h"
#include "providers/tts/tts_config.h"
#include "providers/tts/vendor_socket.h"

namespace xz::providers {

namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

constexpr const char* kEngine = "Edge TTS";
// A frame of 24 kHz 48 kbit/s MP3 is under 200 bytes and Edge sends a few KiB at a time;
// anything near this is not Edge.
constexpr std::size_t kMaxMessageBytes = 1024 * 1024;

// rate / volume / pitch: a whole number, as the reference formats it ("+50%"), or the
// value already in Edge's form ("+50%", "-2Hz").
std::string prosody_value(const EngineConfig& cfg, const char* key, long long fallback, std::string_view unit) {
  const json* v = llm_config::find(cfg, key);
  if (!v) return fmt::format("{:+}{}", fallback, unit);
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    if (unit == "%" ? edge::valid_percent(s) : edge::valid_hertz(s)) return s;
  }
  const double n = *llm_config::opt_number(cfg, key);
  if (n != std::floor(n) || std::fabs(n) > 10000)
    throw EngineConfigError(fmt::format("{}: must be a whole number (the reference sends it as '{:+}{}')", key,
                                        static_cast<long long>(n), unit));
  return fmt::format("{:+}{}", static_cast<long long>(n), unit);
}

// 16 random bytes as hex, marked as a version-4 UUID: Edge's connection and request ids.
std::string uuid4_hex() {
  std::string b = protocol::random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);
  return protocol::hex_encode(b);
}

std::string upper(std::string s) {
  for (auto& c : s)
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

EdgeTts::EdgeTts(const EngineConfig& cfg, ProviderContext& ctx) : pool_(&ctx.pool) {
  llm_config::require_mapping(cfg);
  endpoint_ = tts_config::endpoint(cfg, {"url", "endpoint"}, edge::kEndpoint, {"wss", "ws"});
  const std::string voice = tts_config::voice(cfg, "voice", "zh-CN-XiaoxiaoNeural");
  auto long_voice = edge::long_voice_name(voice);
  if (!long_voice)
    throw EngineConfigError(fmt::format("voice: '{}' is not an Edge voice name (e.g. zh-CN-XiaoxiaoNeural)", voice));
  voice_ = *long_voice;
  prosody_.rate = prosody_value(cfg, "rate", 0, "%");
  prosody_.pitch = prosody_value(cfg, "pitch", 0, "Hz");
  prosody_.volume = prosody_value(cfg, "volume", 50, "%");
  if (auto format = llm_config::opt_string(cfg, "format"); format && *format != "mp3")
    throw EngineConfigError(fmt::format("format: '{}' is not supported (Edge answers in mp3)", *format));
  gec_version_ = llm_config::opt_string(cfg, "sec_ms_gec_version").value_or(std::string(edge::kSecMsGecVersion));
  if (gec_version_.find_first_of("&#? \r\n") != std::string::npos)
    throw EngineConfigError("sec_ms_gec_version: must not contain '&', '#', '?' or spaces");
  if (auto t = llm_config::opt_positive(cfg, "timeout"))
    timeout_ = std::chrono::milliseconds(std::llround(*t * 1000));
  connect_timeout_ = std::min(connect_timeout_, timeout_);
  try {
    tls_ = std::make_shared<asio::ssl::context>(
        net::make_tls_client_context(llm_config::opt_string(cfg, "ca_file").value_or(""), "", true));
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
  }
}

EdgeTts::~EdgeTts() = default;

asio::awaitable<void> EdgeTts::synthesize(TtsRequest req, PcmSink sink) {
  co_await with_engine_name(kEngine, speak(std::move(req), sink));
}

asio::awaitable<void> EdgeTts::speak(TtsRequest req, PcmSink& sink) {
  if (is_blank(req.text)) co_return;
  std::string voice = voice_;
  if (!req.voice.empty()) {
    auto v = edge::long_voice_name(req.voice);
    if (!v) throw std::runtime_error(fmt::format("'{}' is not an Edge voice name", req.voice));
    voice = *v;
  }
  // One decoder across the pieces of a long text: MP3 frames simply follow each other.
  SpeechOutput out(audio::make_audio_stream_decoder(audio::AudioFormat::mp3), sink, *pool_);
  for (const auto& piece : edge::ssml_text_chunks(req.text)) {
    if (!co_await speak_piece(voice, piece, out)) co_return;
  }
  co_await out.finish();
}

asio::awaitable<std::shared_ptr<net::WebSocket>> EdgeTts::connect() {
  for (int attempt = 0;; ++attempt) {
    const std::string url =
        edge::connect_url(endpoint_, uuid4_hex(), edge::sec_ms_gec(unix_now() + clock_skew_.load()), gec_version_);
    net::WsClientOptions opts;
    opts.headers = edge::connect_headers(upper(protocol::hex_encode(protocol::random_bytes(16))));
    opts.tls_context = tls_;
    opts.max_message_bytes = kMaxMessageBytes;
    try {
      co_return co_await connect_vendor(url, std::move(opts), connect_timeout_);
    } catch (const net::WsHandshakeError& e) {
      // A 403 is how Edge says the token's clock is off: take the service's time, once.
      const auto date = e.headers.find("date");
      auto server_time = date == e.headers.end() ? std::nullopt : edge::parse_http_date(date->second);
      if (e.status != 403 || attempt > 0 || !server_time) throw;
      const double skew = static_cast<double>(*server_time) - unix_now();
      clock_skew_.store(skew);
      spdlog::warn("{}: the service refused our token (403); its clock is {:+.0f} s from ours, retrying", kEngine,
                   skew);
    }
  }
}

asio::awaitable<bool> EdgeTts::speak_piece(const std::string& voice, const std::string& text, SpeechOutput& out) {
  VendorConnection ws(co_await connect());
  const std::string timestamp = edge::js_date(std::time(nullptr));
  if (!ws->send_text(edge::speech_config_message(timestamp)) ||
      !ws->send_text(edge::ssml_message(uuid4_hex(), timestamp, voice, prosody_, text)))
    throw std::runtime_error("the connection closed before the request was sent");

  bool audio = false;
  for (;;) {
    const net::WsMessage msg = co_await next_vendor_message(*ws, timeout_);
    if (!msg.binary) {
      if (edge::parse_text_frame(msg.data) == edge::TextPath::turn_end) break;
      continue;
    }
    const auto frame = edge::parse_audio_frame(msg.data);
    if (frame.end_of_stream) continue;
    audio = true;
    if (!co_await out.push(frame.audio)) co_return false;
  }
  if (!audio) throw std::runtime_error("no audio received before turn.end");
  ws.mark_done();
  co_return true;
}

}  // namespace xz::providers
