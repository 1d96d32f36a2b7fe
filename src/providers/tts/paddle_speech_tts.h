#pragma once
// A PaddleSpeech TTS server (type `paddle_speech`): its streaming WebSocket protocol
// (default; the base64 PCM of each message is handed on as it arrives) or its HTTP API
// (one JSON answer with base64 audio).
//
// Config keys (the reference's): url (default
// ws://192.168.1.10:8092/paddlespeech/tts/streaming; http(s):// with protocol http),
// protocol (websocket | http, default websocket), spk_id (default 0; private_voice
// wins), sample_rate (of the streamed PCM, default 24000), speed (1.0), volume (1.0),
// save_path (sent over HTTP, default ./streaming_tts.wav). Ours: timeout (seconds
// without a message, or for the HTTP request; default 60, as the reference), ca_file.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "providers/tts/http_speech.h"
#include "providers/tts/tts.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace xz::providers {

class PaddleSpeechTts : public TtsEngine {
 public:
  PaddleSpeechTts(const EngineConfig& cfg, ProviderContext& ctx);
  ~PaddleSpeechTts() override;
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  boost::asio::awaitable<void> speak_streaming(TtsRequest req, PcmSink& sink);

  HttpTtsClient http_;
  std::string url_;
  bool websocket_ = true;
  long long spk_id_ = 0;
  double sample_rate_ = 24000, speed_ = 1, volume_ = 1;
  std::string save_path_;
  std::chrono::milliseconds timeout_{60000};
  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::thread_pool* pool_;
};

}  // namespace xz::providers
