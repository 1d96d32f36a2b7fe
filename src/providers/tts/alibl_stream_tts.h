#pragma once
// DashScope (Aliyun Bailian) CosyVoice streaming TTS, `alibl_stream`: the duplex task
// protocol (dashscope_wire.h) over a WebSocket. A reply is one task whose id is the
// reply's id (run-task, continue-task per LLM fragment once task-started arrived,
// finish-task; finish-task on barge-in too); the connection is reused while idle less
// than 60 s, as the reference does. Audio: binary PCM at 24 kHz.
//
// Config keys (the reference's): api_key, model (cosyvoice-v2), voice
// (longxiaochun_v2; private_voice wins), format (pcm only), volume (0-100, 50), rate
// (0.5-2, 1), pitch (0.5-2, 1); ours: ws_url / endpoint (default
// wss://dashscope.aliyuncs.com/api-ws/v1/inference/), tts_timeout (15 s), idle_timeout
// (60 s), ca_file.
#include <memory>

#include "providers/provider_context.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class AliBlStreamTts : public TtsEngine {
 public:
  AliBlStreamTts(const EngineConfig& cfg, ProviderContext& ctx);
  ~AliBlStreamTts() override;

  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;
  std::unique_ptr<TtsStreamLink> open_stream_link(boost::asio::any_io_executor ex) override;

  struct Settings;

 private:
  std::shared_ptr<const Settings> settings_;
};

}  // namespace xz::providers
