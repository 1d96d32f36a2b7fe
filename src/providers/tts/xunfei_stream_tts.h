#pragma once
// iFlytek (Xunfei) super-human streaming TTS, `xunfei_stream` (xunfei_wire.h): JSON
// frames over a WebSocket whose URL is signed (HMAC-SHA256, no headers). A reply is
// one connection, as in the reference (the service closes it after the last audio):
// a status-0 frame, a status-1 frame per LLM fragment (base64 text), a status-2 frame;
// base64 PCM at 24 kHz comes back until payload.audio.status 2. The service has no
// cancel message: barge-in closes the connection.
//
// Config keys (the reference's): api_url (default
// wss://cbm01.cn-huabei-1.xf-yun.com/v1/private/mcd9m97e6; `endpoint` too), app_id,
// api_key, api_secret, voice (x5_lingxiaoxuan_flow; private_voice wins), speed, volume,
// pitch (0-100, 50), format (raw only), oral_level (mid), spark_assist (1), stop_split
// (0), remain (0); ours: tts_timeout (15 s), ca_file.
#include <memory>

#include "providers/provider_context.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class XunfeiStreamTts : public TtsEngine {
 public:
  XunfeiStreamTts(const EngineConfig& cfg, ProviderContext& ctx);
  ~XunfeiStreamTts() override;

  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;
  std::unique_ptr<TtsStreamLink> open_stream_link(boost::asio::any_io_executor ex) override;

  struct Settings;

 private:
  std::shared_ptr<const Settings> settings_;
};

}  // namespace xz::providers
