#pragma once
// Microsoft Edge's read-aloud voices (the reference's default TTS, type `edge`): one
// WebSocket per sentence, as Edge and the edge_tts library do; the MP3 it streams is
// decoded and handed on as each frame arrives.
//
// Config keys (the reference's): voice (default zh-CN-XiaoxiaoNeural; private_voice
// wins), rate (percent, default 0), pitch (Hz, default 0), volume (percent, default 50,
// which the reference sends as "+50%"), format (mp3, the only format Edge answers in).
// Ours: url | endpoint (ws:// or wss://, default Edge's), timeout (seconds without a
// frame, default 15), ca_file (extra trusted CA, PEM), sec_ms_gec_version.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "providers/provider_context.h"
#include "providers/tts/edge_wire.h"
#include "providers/tts/tts.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace xz::net {
class WebSocket;
}  // namespace xz::net

namespace xz::providers {

class SpeechOutput;

class EdgeTts : public TtsEngine {
 public:
  // Throws EngineConfigError naming the key (e.g. "voice: 'Xiaoxiao' is not an Edge voice name").
  EdgeTts(const EngineConfig& cfg, ProviderContext& ctx);
  ~EdgeTts() override;

  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  boost::asio::awaitable<void> speak(TtsRequest req, PcmSink& sink);
  boost::asio::awaitable<std::shared_ptr<net::WebSocket>> connect();
  // One request of at most kMaxSsmlTextBytes; false when the sink said stop.
  boost::asio::awaitable<bool> speak_piece(const std::string& voice, const std::string& text, SpeechOutput& out);

  std::string endpoint_;
  std::string voice_;  // long form
  edge::Prosody prosody_;
  std::string gec_version_;
  std::chrono::milliseconds timeout_{15000};
  std::chrono::milliseconds connect_timeout_{10000};
  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::thread_pool* pool_;
  // Seconds the service's clock is ahead of ours, learnt from a 403's Date header. The
  // engine is shared by every session's loop.
  std::atomic<double> clock_skew_{0};
};

}  // namespace xz::providers
