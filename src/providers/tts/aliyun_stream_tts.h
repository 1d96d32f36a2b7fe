#pragma once
// Aliyun NLS streaming-text TTS, `aliyun_stream` (FlowingSpeechSynthesizer over a
// WebSocket, aliyun_wire.h): a reply is one task (StartSynthesis, a RunSynthesis per LLM
// fragment, StopSynthesis; StopSynthesis on barge-in too: the service has no cancel),
// over the device session's connection, reused while idle less than 10 s as the
// reference does. Audio: binary PCM at 24 kHz between the sentence events.
//
// Auth: with access_key_id and access_key_secret a token from CreateToken (POP
// HMAC-SHA1 signature), cached by the engine until a minute before it expires;
// otherwise the configured token (the console's 24-hour one).
//
// Config keys (the reference's): appkey, token, access_key_id, access_key_secret,
// voice (longxiaochun; private_voice wins), format (pcm only), volume (0-100, 50),
// speech_rate (-500..500, 0), pitch_rate (-500..500, 0), host
// (nls-gateway-cn-beijing.aliyuncs.com: wss://{host}/ws/v1, ws:// for -internal. hosts);
// ours: endpoint (the whole WebSocket URL), token_url (CreateToken's, default
// http://nls-meta.cn-shanghai.aliyuncs.com/), tts_timeout (15 s), idle_timeout (10 s),
// ca_file.
#include <memory>

#include "providers/provider_context.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class AliyunStreamTts : public TtsEngine {
 public:
  AliyunStreamTts(const EngineConfig& cfg, ProviderContext& ctx);
  ~AliyunStreamTts() override;

  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;
  std::unique_ptr<TtsStreamLink> open_stream_link(boost::asio::any_io_executor ex) override;

  struct Settings;

 private:
  std::shared_ptr<Settings> settings_;
};

}  // namespace xz::providers
