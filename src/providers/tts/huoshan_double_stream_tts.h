#pragma once
// Volcengine (Huoshan / Doubao) bidirectional streaming TTS, `huoshan_double_stream`:
// binary event frames over one WebSocket (huoshan_wire.h). A reply is one vendor
// session (StartSession, a TaskRequest per LLM fragment, FinishSession; CancelSession
// on barge-in); the device session's connection is reused across its replies.
// Audio: raw PCM, 24 kHz s16le, in TTSResponse frames; TTSSentenceStart names the
// sentence the vendor cut.
//
// Config keys (the reference's): ws_url (default
// wss://openspeech.bytedance.com/api/v3/tts/bidirection; `endpoint` too), appid,
// access_token, resource_id (volc.service_type.10029), speaker
// (zh_female_wanwanxiaohe_moon_bigtts; private_voice wins), enable_ws_reuse (true),
// audio_params (merged over {speech_rate: 0, loudness_rate: 0}), additions (merged over
// {aigc_metadata: {}, cache_config: {}, post_process: {pitch: 0}}), mix_speaker,
// tts_timeout (15 s); ours: idle_timeout (60 s), ca_file.
#include <memory>

#include "providers/provider_context.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class HuoshanDoubleStreamTts : public TtsEngine {
 public:
  // Throws EngineConfigError naming the key.
  HuoshanDoubleStreamTts(const EngineConfig& cfg, ProviderContext& ctx);
  ~HuoshanDoubleStreamTts() override;

  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;
  std::unique_ptr<TtsStreamLink> open_stream_link(boost::asio::any_io_executor ex) override;

  struct Settings;

 private:
  std::shared_ptr<const Settings> settings_;
};

}  // namespace xz::providers
