#pragma once
// Aliyun NLS real-time recognition (SpeechTranscriber), `aliyun_stream` (spec §5A-5B):
// one WebSocket per utterance with X-NLS-Token; StartTranscription, binary PCM after
// TranscriptionStarted, StopTranscription at the end of audio; TranscriptionResultChanged
// is partial, SentenceEnd a final sentence, TranscriptionCompleted ends the utterance,
// TaskFailed (or a failing status) fails it. The token comes from CreateToken when an
// AccessKey is configured, cached for every session of the engine until a minute before
// it expires (tts/aliyun_token.h); else the console's static token.
//
// Config keys (the reference's): appkey, token, access_key_id, access_key_secret, host
// (nls-gateway-cn-shanghai.aliyuncs.com; ws:// for -internal. hosts), max_sentence_silence
// (null = the service's default), output_dir (accepted). Ours: endpoint (overrides the
// URL made from host), token_url (CreateToken, http://nls-meta.cn-shanghai.aliyuncs.com/),
// timeout (seconds, 10), ca_file.
#include <memory>

#include "providers/asr/asr.h"
#include "providers/provider_context.h"

namespace xz::providers {

class AliyunStreamAsr : public AsrEngine {
 public:
  // Throws EngineConfigError naming the key.
  AliyunStreamAsr(const EngineConfig& cfg, ProviderContext& ctx);
  ~AliyunStreamAsr() override;

  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;
  // CreateToken requests made so far (tests: the token is shared and cached).
  std::size_t token_fetches() const;

  struct Settings;

 private:
  std::shared_ptr<const Settings> settings_;
};

}  // namespace xz::providers
