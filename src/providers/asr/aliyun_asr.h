#pragma once
// Aliyun Intelligent Speech Interaction one-sentence recognition (type `aliyun`), as the
// reference calls it: one POST per utterance of the raw PCM to /stream/v1/asr with the
// NLS token in X-NLS-Token; the transcript is `result` when status is 20000000. The token
// is the configured one, or one from CreateToken (access key pair, cloud-speech-protocols.md
// §5A) shared by every session and kept until a minute before it expires.
//
// Config keys (the reference's): appkey (required), token, access_key_id and
// access_key_secret (one of the two ways is required). Ours: endpoint (default
// https://nls-gateway-cn-shanghai.aliyuncs.com/stream/v1/asr), token_url (CreateToken,
// default http://nls-meta.cn-shanghai.aliyuncs.com/), timeout (seconds, 30), max_seconds
// (60; the service takes at most 60 s), ca_file.
#include <memory>

#include "providers/asr/asr.h"
#include "providers/provider_context.h"

namespace xz::providers {

class OneShotRecognizer;

class AliyunAsr : public AsrEngine {
 public:
  // Throws EngineConfigError naming the key.
  AliyunAsr(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;

 private:
  std::shared_ptr<const OneShotRecognizer> recognizer_;
  std::size_t max_samples_;
};

}  // namespace xz::providers
